#include "events_api.hpp"

#include "basics/time_text.hpp"
#include "http/encoding.hpp"

#include <nlohmann/json.hpp>

#include <memory>
#include <optional>

namespace hub {

namespace {

using http::Request;
using http::Response;
using nlohmann::json;

constexpr size_t kMaxTopics = 32;
constexpr size_t kMaxTopicBytes = 100;

// The topic prefixes a stream asked for: every topic when none; nullopt (with `problem`) when malformed.
std::optional<std::vector<std::string>> topics_of(const Request& request, std::string& problem) {
  const auto query = http::parse_query(request.query);
  if (!query) {
    problem = "the query string has a malformed %-escape";
    return std::nullopt;
  }
  std::vector<std::string> topics;
  auto found = query->find("topics");
  if (found == query->end()) return topics;
  std::string_view rest = found->second;
  while (!rest.empty()) {
    const size_t comma = std::min(rest.find(','), rest.size());
    const std::string_view topic = rest.substr(0, comma);
    rest.remove_prefix(std::min(comma + 1, rest.size()));
    if (topic.empty()) continue;
    if (topic.size() > kMaxTopicBytes || topics.size() == kMaxTopics) {
      problem = "topics: at most " + std::to_string(kMaxTopics) + " prefixes of up to " + std::to_string(kMaxTopicBytes) + " bytes each";
      return std::nullopt;
    }
    topics.emplace_back(topic);
  }
  return topics;
}

void stream(EventBus& events, const Request& request, const std::shared_ptr<http::PushChannel>& channel) {
  std::string problem;
  auto topics = topics_of(request, problem);
  if (!topics) return channel->close(problem);
  // The bus calls handlers on the publishing thread: sending only queues the text for the channel's I/O thread.
  const uint64_t id = events.subscribe(
      [weak = std::weak_ptr<http::PushChannel>(channel)](const Event& event) {
        auto open = weak.lock();
        if (!open || !open->open()) return;
        std::string message = "{\"topic\":" + json(event.topic).dump() + ",\"at\":\"" + rfc3339_utc(event.unix_us) + "\",\"data\":";
        message += event.json.empty() ? "null" : event.json;
        message += '}';
        open->send(std::move(message));
      },
      std::move(*topics));
  channel->on_close([&events, id] { events.unsubscribe(id); });
  channel->send(R"({"topic":"stream.opened","data":null})");
}

Response whoami(const Request& request, bool auth_required) {
  if (!request.caller) return http::error(request, 401, "unauthenticated", "no caller");
  const security::Role& role = request.caller->role();
  return {200, "application/json",
          json{{"id", request.caller->id()},
               {"description", request.caller->description()},
               {"role", role.to_string()},
               {"operates", role.operates()},
               {"administers", role.kind == security::Role::Kind::admin},
               {"auth_required", auth_required}}
              .dump()};
}

}  // namespace

void add_event_routes(http::Router& router, EventBus& events, bool auth_required) {
  router.add_stream("/events/stream",
                    [&events](const Request& r, std::shared_ptr<http::PushChannel> channel) { stream(events, r, channel); });
  router.add(
      "GET", "/whoami", [auth_required](const Request& r) { return whoami(r, auth_required); }, http::Runs::on_io_thread);
}

}  // namespace hub
