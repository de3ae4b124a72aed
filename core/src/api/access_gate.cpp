#include "access_gate.hpp"

#include "basics/printable_text.hpp"
#include "http/encoding.hpp"
#include "http/json_body.hpp"
#include "security/access.hpp"

#include <nlohmann/json.hpp>

namespace hub {

namespace {

using http::Request;
using http::Response;
using security::Access;

std::shared_ptr<const security::Caller> make_anonymous() {
  return std::make_shared<const security::Caller>("anonymous", "auth is disabled", security::Role{security::Role::Kind::admin, {}});
}

Response unauthenticated(const Request& request, const std::string& problem) {
  return http::error(request, 401, "unauthenticated", problem);
}

std::string param(const Request& request, const char* name) {
  auto found = request.params.find(name);
  return found == request.params.end() ? "" : found->second;
}

// The service and instance a JSON body names, for the audit trail.
std::string body_target(std::string_view text) {
  if (text.empty() || text.size() > 64 * 1024 || text.front() != '{') return "";
  std::string problem;
  const auto body = http::parse_json_body(text, 8, problem);
  if (!body || !body->is_object()) return "";
  std::string target;
  for (const char* field : {"service_name", "name", "role"})
    if (body->contains(field) && (*body)[field].is_string()) {
      target = (*body)[field].get<std::string>();
      break;
    }
  if (body->contains("instance_id") && (*body)["instance_id"].is_string()) target += "/" + (*body)["instance_id"].get<std::string>();
  return printable_text(target, 300);
}

// What a write named, for the audit trail: the route's parameters, or the body's service and
// instance. Whatever the client sent is made printable, so no entry can fail to store or forge a line.
std::string target_of(const Request& request) {
  for (const char* name : {"service", "name", "id"})
    if (std::string value = param(request, name); !value.empty())
      return printable_text(value + (request.params.count("version") ? "@" + param(request, "version") : ""), 300);
  if (request.path == "/global-config" || request.path.starts_with("/global-config/")) return "global config";
  return body_target(request.body);
}

std::string message_of(const Response& response) {
  if (response.status < 400 || response.content_type != "application/json") return "";
  const nlohmann::json body = nlohmann::json::parse(response.body, nullptr, false);
  if (!body.is_object() || !body.contains("message") || !body["message"].is_string()) return "";
  return printable_text(body["message"].get<std::string>(), 500);
}

class Gate {
 public:
  Gate(const SecuritySettings& settings, security::Credentials* credentials)
      : required_(settings.auth == SecuritySettings::Auth::required), credentials_(credentials) {}

  std::optional<Response> operator()(Request& request, int route_class) const {
    if (!required_) {
      request.caller = anonymous_;
      return std::nullopt;
    }
    const auto access = static_cast<Access>(route_class);
    std::string problem;
    // A connection that sends the same credential again starts from the caller its last request
    // established: still good unless revoked or expired since, seen without hashing the token again.
    if (!request.caller || !credentials_->current(*request.caller)) request.caller = identify(request, problem);
    if (access == Access::open) return std::nullopt;
    if (!request.caller) return unauthenticated(request, problem);
    const security::Role& role = request.caller->role();
    if (security::permits(role, access, param(request, "service"))) return std::nullopt;
    return http::error(request, 403, "forbidden",
                       request.caller->id() + " (role " + role.to_string() + ") may not " + request.method + " " + request.path +
                           ": that needs " + security::who_may(access) + "; nothing was changed");
  }

 private:
  std::shared_ptr<const security::Caller> identify(const Request& request, std::string& problem) const {
    if (!request.authorization.empty()) return credentials_->admit(request.authorization, problem);
    if (!request.client_subject.empty()) return credentials_->certificate(request.client_subject, problem);
    problem = "this hub requires a token: send Authorization: Bearer TOKEN";
    return nullptr;
  }

  const bool required_;
  security::Credentials* credentials_;
  const std::shared_ptr<const security::Caller> anonymous_ = make_anonymous();
};

}  // namespace

void guard_routes(http::Router& router, const SecuritySettings& settings, security::Credentials* credentials,
                  std::shared_ptr<security::AuditLog> audit) {
  http::Observer observer;
  if (audit)
    observer = [audit](const Request& request) -> std::function<void(const Response&)> {
      AuditEntry entry;
      if (request.caller) {
        entry.token_id = request.caller->id();
        entry.token_description = request.caller->description();
        entry.role = request.caller->role().to_string();
      } else {
        entry.token_id = "none";
      }
      entry.address = request.peer;
      entry.action = printable_text(request.method + " " + request.path, 300);
      // Heartbeats, call outcomes and error reports come by the thousand and change no setting: they are recorded
      // only when refused, their target read from the body then, not for every one.
      const bool heartbeat =
          request.path == "/heartbeat" || request.path == "/outcomes" || request.path == "/errors" || request.path == "/performance";
      std::string heartbeat_body;
      if (heartbeat)
        heartbeat_body = request.body.substr(0, 4096);
      else
        entry.target = target_of(request);
      return [audit, entry = std::move(entry), heartbeat, heartbeat_body = std::move(heartbeat_body)](const Response& response) mutable {
        if (heartbeat && response.status < 400) return;
        if (heartbeat) entry.target = body_target(heartbeat_body);
        entry.status = response.status;
        entry.message = message_of(response);
        audit->record(std::move(entry));
      };
    };
  const auto classify = [](const std::string& method, const std::string& pattern) {
    return static_cast<int>(security::access_of(method, pattern));
  };
  router.guard(classify, Gate(settings, credentials), std::move(observer));
}

std::optional<Response> refuse_other_service(const Request& request, const std::string& service) {
  if (!request.caller || request.caller->role().speaks_for(service)) return std::nullopt;
  return http::error(request, 403, "forbidden",
                     request.caller->id() + " (role " + request.caller->role().to_string() + ") may not act for service \"" + service +
                         "\": a service token speaks only for its own service; nothing was changed");
}

std::string author_of(const Request& request, const std::string& note) {
  if (!request.caller || request.caller->id() == "anonymous") return note.empty() ? "api" : note;
  const std::string& id = request.caller->id();
  std::string author = id.starts_with("cert:") ? id : "token:" + id;
  if (!note.empty()) author += " note: " + note;
  return author.substr(0, 100);
}

}  // namespace hub
