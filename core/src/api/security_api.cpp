#include "security_api.hpp"

#include "basics/printable_text.hpp"
#include "basics/time_text.hpp"
#include "http/encoding.hpp"
#include "http/json_body.hpp"

#include <hub/errors.hpp>

#include <nlohmann/json.hpp>

#include <ctime>

namespace hub {

namespace {

using http::Request;
using http::Response;
using Json = nlohmann::json;

constexpr int64_t kMaxExpirySeconds = 10LL * 366 * 86'400;
constexpr size_t kMaxAuditPage = 10'000;

Response json_answer(const Json& body, int status = 200) {
  return {status, "application/json", body.dump()};
}

Response bad_request(const Request& request, const std::string& message) {
  return http::error(request, 400, "invalid_argument", message + (request.method == "GET" ? "" : "; nothing was changed"));
}

std::string time_or_empty(int64_t unix_us) {
  return unix_us ? rfc3339_utc(unix_us) : "";
}

Json token_json(const TokenRecord& token) {
  return {{"id", token.id},
          {"role", token.role},
          {"description", token.description},
          {"created_at", time_or_empty(token.created_at_unix_us)},
          {"expires_at", time_or_empty(token.expires_at_unix_us)},
          {"revoked_at", time_or_empty(token.revoked_at_unix_us)}};
}

class TokenApi {
 public:
  explicit TokenApi(security::Credentials& credentials) : credentials_(credentials) {}

  Response list(const Request&) const {
    Json tokens = Json::array();
    for (const TokenRecord& token : credentials_.list()) tokens.push_back(token_json(token));
    return json_answer({{"tokens", tokens}});
  }

  Response create(const Request& request) const {
    std::string problem;
    const auto body = http::parse_json_body(request.body, 4, problem);
    if (!body) return bad_request(request, "invalid JSON body: " + problem);
    if (!body->is_object()) return bad_request(request, "the body must be a JSON object: {role, description, expires_in_seconds}");
    for (const auto& [key, value] : body->items())
      if (key != "role" && key != "description" && key != "expires_in_seconds")
        return bad_request(request, "unknown field \"" + printable_text(key, 60) + "\"; expected role, description, expires_in_seconds");
    if (!body->contains("role") || !(*body)["role"].is_string())
      return bad_request(request, "role: required, one of admin, operator, reader or service:NAME");
    const auto role = security::Role::parse((*body)["role"].get<std::string>(), problem);
    if (!role) return bad_request(request, problem);
    std::string description;
    if (body->contains("description")) {
      if (!(*body)["description"].is_string()) return bad_request(request, "description: must be a string");
      description = (*body)["description"].get<std::string>();
      if (description.size() > 200 || !is_printable_text(description))
        return bad_request(request, "description: at most 200 printable characters");
    }
    int64_t lifetime = 0;
    if (body->contains("expires_in_seconds")) {
      const Json& seconds = (*body)["expires_in_seconds"];
      if (!seconds.is_number_integer() || seconds.get<int64_t>() < 1 || seconds.get<int64_t>() > kMaxExpirySeconds)
        return bad_request(request, "expires_in_seconds: a whole number of seconds from 1 to " + std::to_string(kMaxExpirySeconds));
      lifetime = seconds.get<int64_t>();
    }
    const security::NewToken made = credentials_.create(*role, description, lifetime);
    Json answer = token_json(made.record);
    answer["token"] = made.token;
    answer["warning"] = "this is the only time the hub shows this token; it keeps only a hash";
    return json_answer(answer, 201);
  }

  Response revoke(const Request& request) const {
    const std::string& id = request.params.at("id");
    // Ids are hex (or "environment"): anything else names no token, and never reaches storage.
    if (id.empty() || id.size() > 32 || id.find_first_not_of("0123456789abcdefghijklmnopqrstuvwxyz") != std::string::npos)
      return http::error(request, 404, "not_found", "no token has id \"" + printable_text(id, 60) + "\"");
    try {
      if (!credentials_.revoke(id)) return http::error(request, 404, "not_found", "no token has id \"" + printable_text(id, 60) + "\"");
    } catch (const std::invalid_argument& refused) {
      return bad_request(request, refused.what());
    }
    return json_answer({{"id", id}, {"revoked", true}});
  }

 private:
  security::Credentials& credentials_;
};

}  // namespace

void add_token_routes(http::Router& router, security::Credentials* credentials) {
  if (!credentials) {
    const auto disabled = [](const Request& request) {
      return http::error(request, 409, "auth_disabled", "auth is disabled in this deployment, so it has no tokens: set auth: required");
    };
    router.add("GET", "/tokens", disabled);
    router.add("POST", "/tokens", disabled);
    router.add("DELETE", "/tokens/{id}", disabled);
    return;
  }
  auto api = std::make_shared<TokenApi>(*credentials);
  router.add("GET", "/tokens", [api](const Request& r) { return api->list(r); });
  router.add("POST", "/tokens", [api](const Request& r) { return api->create(r); });
  router.add("DELETE", "/tokens/{id}", [api](const Request& r) { return api->revoke(r); });
}

void add_audit_routes(http::Router& router, security::AuditLog& audit) {
  router.add("GET", "/audit", [&audit](const Request& request) {
    const auto query = http::parse_query(request.query);
    if (!query) return bad_request(request, "the query string has a malformed %-escape");
    int64_t since = 0;
    size_t limit = 1000;
    for (const auto& [key, value] : *query) {
      if (key == "since") {
        const auto parsed = parse_utc_or_unix_seconds(value);
        if (!parsed)
          return bad_request(request, "since: \"" + printable_text(value, 40) + "\" is not 2026-11-30T10:00:00Z nor Unix seconds");
        since = *parsed;
      } else if (key == "limit") {
        if (value.empty() || value.size() > 6 || value.find_first_not_of("0123456789") != std::string::npos || std::stoul(value) < 1 ||
            std::stoul(value) > kMaxAuditPage)
          return bad_request(request, "limit: a whole number from 1 to " + std::to_string(kMaxAuditPage));
        limit = std::stoul(value);
      } else {
        return bad_request(request, printable_text(key, 40) + ": unknown query parameter; GET /audit takes since and limit");
      }
    }
    Json entries = Json::array();
    for (const AuditEntry& entry : audit.since(since, limit))
      entries.push_back({{"id", entry.id},
                         {"at", rfc3339_utc(entry.at_unix_us)},
                         {"token_id", entry.token_id},
                         {"token_description", entry.token_description},
                         {"role", entry.role},
                         {"address", entry.address},
                         {"action", entry.action},
                         {"target", entry.target},
                         {"status", entry.status},
                         {"message", entry.message}});
    return json_answer({{"entries", entries}, {"dropped_before_storage", audit.dropped()}});
  });
}

}  // namespace hub
