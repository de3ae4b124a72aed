#include "config_api.hpp"

#include "access_gate.hpp"
#include "basics/printable_text.hpp"
#include "basics/time_text.hpp"
#include "http/encoding.hpp"
#include "http/json_body.hpp"
#include "registry/instance_validation.hpp"

#include <hub/errors.hpp>

#include <cmath>
#include <map>
#include <memory>
#include <mutex>
#include <set>

namespace hub::config {

namespace {

using http::Request;
using http::Response;

Response json_answer(const Json& body, int status = 200) {
  return {status, "application/json", body.dump()};
}

Response refused(const Request& request, const Status& refusal) {
  return http::error(request, refusal);
}

// The registry's words for the same fault: invalid_argument, and a reassurance that nothing changed.
Response bad_request(const Request& request, const std::string& message) {
  return http::error(request, 400, "invalid_argument", message + (request.method == "GET" ? "" : "; nothing was changed"));
}

Response invalid(const Request& request, const Status& problem) {
  return bad_request(request, problem.message());
}

std::string scope_name(const std::string& scope) {
  return scope == kGlobalConfigScope ? "_global" : scope;
}

Json effective_json(const EffectiveConfig& effective) {
  Json out = {{"service_name", effective.service},
              {"version", effective.version},
              {"global_version", effective.global_version},
              {"revision", effective.revision},
              {"created_by", effective.created_by},
              {"created_at", effective.created_at_unix_us ? rfc3339_utc(effective.created_at_unix_us) : ""},
              {"config", effective.config}};
  return out;
}

std::optional<int64_t> parse_integer(const std::string& text) {
  if (text.empty() || text.size() > 18) return std::nullopt;
  int64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  return value;
}

// The answer a woken watch sends, serialized once per service and revision
// however many clients watch it.
class WatchAnswers {
 public:
  std::shared_ptr<const std::string> changed(ConfigStore& store, const std::string& service) {
    const int64_t revision = store.revision_of(service);
    {
      std::lock_guard lock(mutex_);
      auto found = answers_.find(service);
      if (found != answers_.end() && found->second.first == revision) return found->second.second;
    }
    Json answer = effective_json(store.effective(service));
    answer["changed"] = true;
    auto text = std::make_shared<const std::string>(answer.dump());
    std::lock_guard lock(mutex_);
    if (answer["revision"] == revision) answers_[service] = {revision, text};
    return text;
  }

 private:
  std::mutex mutex_;
  std::map<std::string, std::pair<int64_t, std::shared_ptr<const std::string>>> answers_;
};

class ConfigApi {
 public:
  explicit ConfigApi(ConfigStore& store) : store_(store) {}

  // The scope a request names, or why the name is not a service name.
  Status scope_of(const Request& request, bool global, std::string& scope) const {
    if (global) {
      scope = kGlobalConfigScope;
      return {};
    }
    scope = request.params.at("service");
    if (std::string problem = validate_service_name("service", scope); !problem.empty()) return {Code::invalid_argument, problem};
    return {};
  }

  // The request body as a JSON object with only `allowed` fields.
  Status body_of(const Request& request, const std::set<std::string>& allowed, Json& body) const {
    std::string problem;
    // A margin over the body's own level: check_config names the path of what is too deep.
    auto parsed = http::parse_json_body(request.body, store_.settings().max_depth + 2, problem);
    if (!parsed) return {Code::invalid_argument, "invalid JSON body: " + problem};
    if (!parsed->is_object()) return {Code::invalid_argument, std::string("the body must be a JSON object, got ") + parsed->type_name()};
    for (const auto& [key, value] : parsed->items())
      if (!allowed.count(key)) {
        std::string names;
        for (const std::string& name : allowed) names += (names.empty() ? "" : ", ") + name;
        return {Code::invalid_argument, "unknown field \"" + key + "\"; expected " + names};
      }
    body = std::move(*parsed);
    return {};
  }

  // The caller's identity, with the body's created_by kept after it as a note (access_gate.hpp).
  static Status author_of(const Request& request, const Json& body, std::string& author) {
    std::string note;
    if (body.contains("created_by")) {
      if (!body["created_by"].is_string()) return {Code::invalid_argument, "created_by: must be a string"};
      note = body["created_by"].get<std::string>();
      if (note.empty() || note.size() > 100) return {Code::invalid_argument, "created_by: 1 to 100 characters"};
      if (!is_printable_text(note))
        return {Code::invalid_argument, "created_by: \"" + printable_text(note, 60) + "\" has control characters"};
    }
    author = hub::author_of(request, note);
    return {};
  }

  Response get(const Request& request, bool global) const {
    std::string scope;
    if (Status failed = scope_of(request, global, scope)) return invalid(request, failed);
    EffectiveConfig effective = store_.effective(scope);
    if (global) effective.service = "_global", effective.version = effective.global_version;
    return json_answer(effective_json(effective));
  }

  // Changes answer once stored; group commit keeps many in flight, so they run on the I/O thread
  // and never hold a worker while storage commits.
  void update(const Request& request, bool global, const http::Reply& reply) const {
    std::string scope, author;
    Json body;
    if (Status failed = scope_of(request, global, scope)) return reply(invalid(request, failed));
    if (Status failed = body_of(request, {"config_data", "created_by"}, body)) return reply(invalid(request, failed));
    if (!body.contains("config_data")) return reply(bad_request(request, "config_data: required, the config as a JSON object"));
    if (Status failed = author_of(request, body, author)) return reply(invalid(request, failed));
    store_.update(scope, body["config_data"], author, [request = http::answerable(request), reply, scope, author](const Saved& saved) {
      reply(Response::built_on_io_thread([request, scope, author, saved] {
        if (saved.refusal) return refused(*request, saved.refusal);
        return json_answer(
            {{"service_name", scope_name(scope)}, {"version", saved.version}, {"revision", saved.revision}, {"created_by", author}}, 201);
      }));
    });
  }

  void rollback(const Request& request, bool global, const http::Reply& reply) const {
    std::string scope, author;
    Json body;
    if (Status failed = scope_of(request, global, scope)) return reply(invalid(request, failed));
    if (Status failed = body_of(request, {"version", "created_by"}, body)) return reply(invalid(request, failed));
    if (!body.contains("version") || !body["version"].is_number_integer())
      return reply(bad_request(request, "version: required, the number of the version to make active again"));
    if (Status failed = author_of(request, body, author)) return reply(invalid(request, failed));
    store_.rollback(scope, body["version"].get<int64_t>(), author,
                    [request = http::answerable(request), reply, scope, author](const Saved& saved) {
                      reply(Response::built_on_io_thread([request, scope, author, saved] {
                        if (saved.refusal) return refused(*request, saved.refusal);
                        return json_answer({{"service_name", scope_name(scope)},
                                            {"version", saved.version},
                                            {"revision", saved.revision},
                                            {"action", "rollback"},
                                            {"created_by", author}});
                      }));
                    });
  }

  Response history(const Request& request, bool global) const {
    std::string scope;
    if (Status failed = scope_of(request, global, scope)) return invalid(request, failed);
    size_t limit = 100;
    if (Status failed = query_integer(request, "limit", 1, 10000, limit)) return invalid(request, failed);
    const auto history = store_.history(scope, limit);
    if (!history) return http::error(request, 404, "no_config", scope_label(scope) + " has no config yet");
    Json versions = Json::array(), changes = Json::array();
    for (const ConfigVersion& version : history->versions)
      versions.push_back({{"version", version.version},
                          {"active", version.active},
                          {"created_by", version.created_by},
                          {"created_at", rfc3339_utc(version.created_at_unix_us)},
                          {"bytes", version.content.size()}});
    for (const ConfigChange& change : history->changes)
      changes.push_back({{"revision", change.revision},
                         {"version", change.version},
                         {"action", change.action},
                         {"created_by", change.created_by},
                         {"at", rfc3339_utc(change.at_unix_us)}});
    return json_answer({{"service_name", scope_name(scope)},
                        {"active_version", history->active_version},
                        {"latest_version", history->latest_version},
                        {"retention_versions", store_.settings().retention_versions},
                        {"versions", versions},
                        {"changes", changes}});
  }

  Response version(const Request& request, bool global) const {
    std::string scope;
    if (Status failed = scope_of(request, global, scope)) return invalid(request, failed);
    const auto number = parse_integer(request.params.at("version"));
    if (!number) return bad_request(request, "version: \"" + request.params.at("version") + "\" is not a version number");
    ConfigVersion found;
    if (Status refusal = store_.version(scope, *number, found)) return refused(request, refusal);
    return json_answer({{"service_name", scope_name(scope)},
                        {"version", found.version},
                        {"active", found.active},
                        {"created_by", found.created_by},
                        {"created_at", rfc3339_utc(found.created_at_unix_us)},
                        {"config_data", Json::parse(found.content)}});
  }

  Response diff(const Request& request, bool global) const {
    std::string scope;
    if (Status failed = scope_of(request, global, scope)) return invalid(request, failed);
    size_t from = 0, to = 0;
    if (Status failed = query_integer(request, "from", 1, INT64_MAX, from)) return invalid(request, failed);
    if (Status failed = query_integer(request, "to", 1, INT64_MAX, to)) return invalid(request, failed);
    if (!from) return bad_request(request, "from: required, the version to compare from");
    if (!to) {
      const auto history = store_.history(scope, 1);
      to = history ? static_cast<size_t>(history->active_version) : 0;
    }
    ConfigVersion older, newer;
    if (Status refusal = store_.version(scope, static_cast<int64_t>(from), older)) return refused(request, refusal);
    if (Status refusal = store_.version(scope, static_cast<int64_t>(to), newer)) return refused(request, refusal);
    Json changes = Json::array();
    for (const ConfigDifference& difference : config::diff(Json::parse(older.content), Json::parse(newer.content))) {
      Json change = {{"path", difference.path}, {"change", difference.change}};
      if (difference.change != "added") change["from"] = difference.from;
      if (difference.change != "removed") change["to"] = difference.to;
      changes.push_back(std::move(change));
    }
    return json_answer({{"service_name", scope_name(scope)}, {"from", from}, {"to", to}, {"changes", changes}});
  }

  void watch(const Request& request, const http::Reply& reply) const {
    std::string scope;
    if (Status failed = scope_of(request, false, scope)) return reply(invalid(request, failed));
    size_t index = 0;
    if (Status failed = query_integer(request, "index", 0, INT64_MAX, index)) return reply(invalid(request, failed));
    const int max_wait = store_.settings().max_watch_seconds;
    double wait_seconds = std::min(60, max_wait);
    auto query = http::parse_query(request.query);
    if (query && query->count("wait")) {
      const std::string& text = query->at("wait");
      char* end = nullptr;
      wait_seconds = std::strtod(text.c_str(), &end);
      if (text.empty() || *end != '\0' || !std::isfinite(wait_seconds) || wait_seconds <= 0 || wait_seconds > max_wait)
        return reply(
            bad_request(request, "wait: \"" + text + "\" is not a number of seconds above 0 and up to " + std::to_string(max_wait)));
    }
    const auto wait = std::chrono::milliseconds(static_cast<int64_t>(wait_seconds * 1000));
    // The store outlives its waiters; this API object may not.
    store_.watch(scope, static_cast<int64_t>(index), wait, [&store = store_, answers = answers_, scope, index, reply](bool changed) {
      if (!changed) return reply(json_answer({{"service_name", scope}, {"revision", index}, {"changed", false}}));
      reply(Response{200, "application/json", *answers->changed(store, scope)});
    });
  }

  void stream(const Request& request, const std::shared_ptr<http::PushChannel>& channel) const {
    std::string scope;
    if (Status failed = scope_of(request, false, scope)) return channel->close(failed.message());
    size_t index = 0;
    if (Status failed = query_integer(request, "index", 0, INT64_MAX, index)) return channel->close(failed.message());
    int64_t known = static_cast<int64_t>(index);
    if (!index) known = push_current(store_, scope, *channel);
    follow(store_, scope, known, channel);
  }

 private:
  static int64_t push_current(ConfigStore& store, const std::string& service, http::PushChannel& channel) {
    const EffectiveConfig effective = store.effective(service);
    Json message = effective_json(effective);
    message["changed"] = true;
    channel.send(message.dump());
    return effective.revision;
  }

  // One blocking watch after another for as long as the client stays; the one parked when the
  // client leaves is dropped then, not at its timeout.
  struct Follower {
    std::mutex mutex;
    uint64_t watch = 0;
  };
  static void follow(ConfigStore& store, const std::string& service, int64_t known, std::shared_ptr<http::PushChannel> channel,
                     std::shared_ptr<Follower> follower = nullptr) {
    if (!follower) {
      follower = std::make_shared<Follower>();
      channel->on_close([&store, follower] {
        std::lock_guard lock(follower->mutex);
        store.cancel_watch(follower->watch);
      });
    }
    const auto wait = std::chrono::seconds(store.settings().max_watch_seconds);
    const uint64_t id = store.watch(service, known, wait, [&store, service, known, channel, follower](bool changed) {
      if (!channel->open()) return;
      follow(store, service, changed ? push_current(store, service, *channel) : known, channel, follower);
    });
    std::lock_guard lock(follower->mutex);
    follower->watch = std::max(follower->watch, id);            // a watch that ended at once may have parked a newer one already
    if (!channel->open()) store.cancel_watch(follower->watch);  // the client left while this watch was being parked
  }

  static std::string scope_label(const std::string& scope) {
    return scope == kGlobalConfigScope ? "the global config" : "service " + scope;
  }

  static Status query_integer(const Request& request, const std::string& name, size_t min, size_t max, size_t& out) {
    auto query = http::parse_query(request.query);
    if (!query) return {Code::invalid_argument, "the query string has a malformed %-escape"};
    auto found = query->find(name);
    if (found == query->end()) return {};
    const auto value = parse_integer(found->second);
    if (!value || static_cast<size_t>(*value) < min || static_cast<size_t>(*value) > max)
      return {Code::invalid_argument, name + ": \"" + found->second + "\" is not a whole number from " + std::to_string(min)};
    out = static_cast<size_t>(*value);
    return {};
  }

  ConfigStore& store_;
  std::shared_ptr<WatchAnswers> answers_ = std::make_shared<WatchAnswers>();
};

}  // namespace

void add_config_routes(http::Router& router, ConfigStore& store) {
  auto api = std::make_shared<ConfigApi>(store);
  using http::Runs;
  for (const bool global : {false, true}) {
    const std::string base = global ? "/global-config" : "/config/{service}";
    router.add(
        "GET", base, [api, global](const Request& r) { return api->get(r, global); }, Runs::on_io_thread);
    router.add_async("PUT", base, [api, global](const Request& r, http::Reply reply) { api->update(r, global, reply); });
    router.add_async("POST", base, [api, global](const Request& r, http::Reply reply) { api->update(r, global, reply); });
    router.add(
        "GET", base + "/history", [api, global](const Request& r) { return api->history(r, global); }, Runs::on_io_thread);
    router.add(
        "GET", base + "/versions/{version}", [api, global](const Request& r) { return api->version(r, global); }, Runs::on_io_thread);
    router.add(
        "GET", base + "/diff", [api, global](const Request& r) { return api->diff(r, global); }, Runs::on_io_thread);
    router.add_async("POST", base + "/rollback", [api, global](const Request& r, http::Reply reply) { api->rollback(r, global, reply); });
  }
  router.add_async("GET", "/config/{service}/watch", [api](const Request& r, http::Reply reply) { api->watch(r, reply); });
  router.add_stream("/config/{service}/stream",
                    [api](const Request& r, std::shared_ptr<http::PushChannel> channel) { api->stream(r, channel); });
}

}  // namespace hub::config
