#include "errors_api.hpp"

#include "access_gate.hpp"

#include "basics/printable_text.hpp"
#include "basics/service_name.hpp"
#include "basics/time_text.hpp"
#include "http/encoding.hpp"
#include "http/json_body.hpp"

#include <nlohmann/json.hpp>

namespace hub {

namespace {

using error_groups::ErrorEvent;
using http::Request;
using http::Response;
using nlohmann::json;

constexpr int kMaxBodyDepth = 16;
constexpr size_t kMaxFrames = 100;
constexpr size_t kMaxText = 1024;         // a field of a frame, a type, a version, a host
constexpr size_t kMaxMessage = 8 * 1024;  // a message
constexpr size_t kMaxPage = 1000;

Response bad_request(const Request& request, const std::string& message) {
  return http::error(request, 400, "invalid_argument", message + "; nothing was taken");
}

// A string field of `object`: "" when absent; a problem, naming `path`, when it is not a string or
// too long.
std::string text(const json& object, const char* key, size_t max, const std::string& path, std::string& problem, bool required = false) {
  const auto found = object.find(key);
  if (found == object.end() || found->is_null()) {
    if (required && problem.empty()) problem = path + key + ": required";
    return "";
  }
  if (!found->is_string()) {
    if (problem.empty()) problem = path + key + ": must be a string, got " + found->type_name();
    return "";
  }
  const std::string& value = found->get_ref<const std::string&>();
  if (value.size() > max && problem.empty()) problem = path + key + ": longer than " + std::to_string(max) + " bytes";
  if (required && value.empty() && problem.empty()) problem = path + key + ": required";
  return value;
}

std::vector<Frame> frames_of(const json& event, const std::string& path, std::string& problem) {
  std::vector<Frame> frames;
  const auto found = event.find("frames");
  if (found == event.end() || found->is_null()) return frames;
  if (!found->is_array()) {
    problem = path + "frames: must be a list of frames, outermost first";
    return frames;
  }
  if (found->size() > kMaxFrames) {
    problem = path + "frames: at most " + std::to_string(kMaxFrames) + ", got " + std::to_string(found->size());
    return frames;
  }
  for (size_t i = 0; i < found->size() && problem.empty(); ++i) {
    const json& each = (*found)[i];
    const std::string at = path + "frames[" + std::to_string(i) + "].";
    if (!each.is_object()) {
      problem = at.substr(0, at.size() - 1) + ": must be an object";
      break;
    }
    Frame frame{.module = text(each, "module", kMaxText, at, problem),
                .function = text(each, "function", kMaxText, at, problem, true),
                .file = text(each, "file", kMaxText, at, problem)};
    if (const auto line = each.find("line"); line != each.end() && !line->is_null()) {
      if (!line->is_number_integer() || line->get<int64_t>() < 0 || line->get<int64_t>() > 100'000'000) {
        if (problem.empty()) problem = at + "line: must be a whole number from 0";
      } else {
        frame.line = line->get<int>();
      }
    }
    if (const auto in_app = each.find("in_app"); in_app != each.end() && !in_app->is_null()) {
      if (!in_app->is_boolean()) {
        if (problem.empty()) problem = at + "in_app: must be true, false or null";
      } else {
        frame.in_app = in_app->get<bool>();
      }
    }
    frames.push_back(std::move(frame));
  }
  return frames;
}

std::optional<ErrorEvent> event_of(const json& body, const std::string& path, std::string& problem) {
  if (!body.is_object()) {
    problem = path.substr(0, path.size() - 1) + ": must be an object";
    return std::nullopt;
  }
  ErrorEvent event;
  event.service = text(body, "service", kMaxText, path, problem, true);
  if (problem.empty() && !event.service.empty()) {
    const std::string wrong = validate_service_name(path + "service", event.service);
    if (!wrong.empty()) problem = wrong;
  }
  event.type = text(body, "type", kMaxText, path, problem, true);
  event.message = text(body, "message", kMaxMessage, path, problem);
  event.version = text(body, "version", kMaxText, path, problem);
  event.host = text(body, "host", kMaxText, path, problem);
  event.instance_id = text(body, "instance_id", kMaxText, path, problem);
  event.correlation_id = text(body, "correlation_id", kMaxText, path, problem);
  event.frames = frames_of(body, path, problem);
  if (const auto at = body.find("at"); at != body.end() && !at->is_null() && problem.empty()) {
    const auto parsed = at->is_string() ? parse_utc_or_unix_seconds(at->get<std::string>()) : std::nullopt;
    if (!parsed)
      problem = path + "at: must be \"2026-11-30T10:00:00Z\" or Unix seconds as a string";
    else
      event.reported_at_unix_us = *parsed;
  }
  if (!problem.empty()) return std::nullopt;
  // Text that goes into answers, logs and alerts is printable: no terminal escapes from a reporter.
  event.type = printable_text(event.type, kMaxText);
  event.message = printable_text(event.message, kMaxMessage);
  return event;
}

Response post_errors(const Request& request, error_groups::ErrorGroups& groups, const ErrorSettings& settings) {
  std::string problem;
  const auto body = http::parse_json_body(request.body, kMaxBodyDepth, problem);
  if (!body) return bad_request(request, "invalid JSON body: " + problem);
  if (!body->is_object() || !body->contains("events") || !(*body)["events"].is_array())
    return bad_request(request, "the body must be {\"events\": [event, …]}");
  const json& list = (*body)["events"];
  if (list.size() > settings.max_batch)
    return bad_request(request,
                       "events: at most " + std::to_string(settings.max_batch) + " in one batch, got " + std::to_string(list.size()));
  std::vector<ErrorEvent> events;
  for (size_t i = 0; i < list.size(); ++i) {
    auto event = event_of(list[i], "events[" + std::to_string(i) + "].", problem);
    if (!event) return bad_request(request, problem);
    // A service reports its own errors; operators and admins any service's.
    const auto* caller = request.caller ? &request.caller->role() : nullptr;
    if (caller && caller->kind == security::Role::Kind::service)
      if (auto refusal = refuse_other_service(request, event->service)) return *refusal;
    events.push_back(std::move(*event));
  }
  const auto ingested = groups.ingest(events);
  return {200, "application/json",
          json{{"accepted", events.size()}, {"new_groups", ingested.new_groups}, {"fingerprints", ingested.fingerprints}}.dump()};
}

Response get_errors(const Request& request, error_groups::ErrorGroups& groups) {
  const auto query = http::parse_query(request.query);
  if (!query) return bad_request(request, "the query string has a malformed %-escape");
  std::string service;
  int64_t since = 0;
  size_t limit = 100;
  for (const auto& [key, value] : *query) {
    if (key == "service") {
      service = value;
    } else if (key == "since") {
      const auto parsed = parse_utc_or_unix_seconds(value);
      if (!parsed) return bad_request(request, "since: \"" + printable_text(value, 40) + "\" is not 2026-11-30T10:00:00Z nor Unix seconds");
      since = *parsed;
    } else if (key == "limit") {
      if (value.empty() || value.size() > 6 || value.find_first_not_of("0123456789") != std::string::npos || std::stoul(value) < 1 ||
          std::stoul(value) > kMaxPage)
        return bad_request(request, "limit: a whole number from 1 to " + std::to_string(kMaxPage));
      limit = std::stoul(value);
    } else {
      return bad_request(request, printable_text(key, 40) + ": unknown query parameter; GET /errors takes service, since and limit");
    }
  }
  return {200, "application/json", groups.list(service, since, limit).dump()};
}

}  // namespace

void add_error_routes(http::Router& router, error_groups::ErrorGroups& groups, const ErrorSettings& settings) {
  router.add("POST", "/errors", [&groups, settings](const Request& request) { return post_errors(request, groups, settings); });
  router.add("GET", "/errors", [&groups](const Request& request) { return get_errors(request, groups); });
  router.add("GET", "/errors/services", [&groups](const Request&) {
    return Response{200, "application/json", json{{"services", groups.services()}}.dump()};
  });
  router.add("GET", "/errors/{fingerprint}", [&groups](const Request& request) {
    const std::string& fingerprint = request.params.at("fingerprint");
    auto found = groups.find(fingerprint);
    if (!found) return http::error(request, 404, "not_found", "no error group \"" + printable_text(fingerprint, 64) + "\"");
    return Response{200, "application/json", found->dump()};
  });
}

}  // namespace hub
