#include "deployments_api.hpp"

#include "access_gate.hpp"
#include "registry_api.hpp"

#include "basics/printable_text.hpp"
#include "basics/service_name.hpp"
#include "http/encoding.hpp"
#include "http/json_body.hpp"

#include <cmath>

namespace hub {

namespace {

using deployments::Json;
using http::Request;
using http::Response;

constexpr int kMaxBodyDepth = 16;
constexpr int kMaxWatchSeconds = 300;

Response json_answer(const Json& body, int status = 200) {
  return {status, "application/json", body.dump()};
}

Response refused(const Request& request, const Status& status) {
  if (status.code() == Code::invalid_argument)
    return http::error(request, 400, "invalid_argument", status.message() + "; nothing was changed");
  return http::error(request, status);
}

std::optional<Json> body_of(const Request& request, Response& refusal) {
  std::string problem;
  auto parsed = http::parse_json_body(request.body, kMaxBodyDepth, problem);
  if (!parsed) {
    refusal = refused(request, {Code::invalid_argument, "invalid JSON body: " + problem});
    return std::nullopt;
  }
  if (!parsed->is_object()) {
    refusal = refused(request, {Code::invalid_argument, std::string("the body must be a JSON object, got ") + parsed->type_name()});
    return std::nullopt;
  }
  return parsed;
}

// ?name=N: a whole number, or the refusal.
std::optional<uint64_t> query_number(const Request& request, const std::string& name, uint64_t fallback, uint64_t max, Status& problem) {
  auto query = http::parse_query(request.query);
  if (!query) {
    problem = {Code::invalid_argument, "the query string has a malformed %-escape"};
    return std::nullopt;
  }
  auto found = query->find(name);
  if (found == query->end()) return fallback;
  const std::string& text = found->second;
  char* end = nullptr;
  const unsigned long long value = std::strtoull(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || text[0] == '-' || value > max) {
    problem = {Code::invalid_argument,
               name + ": \"" + printable_text(text, 40) + "\" is not a whole number from 0 to " + std::to_string(max)};
    return std::nullopt;
  }
  return value;
}

Status instance_of(const Request& request, std::string& service, std::string& instance) {
  service = request.params.at("service");
  instance = request.params.at("instance");
  if (std::string problem = validate_service_name("service", service); !problem.empty()) return {Code::invalid_argument, problem};
  if (instance.empty() || instance.size() > 200 || !is_printable_text(instance))
    return {Code::invalid_argument, "instance: 1 to 200 printable characters"};
  return {};
}

class DeploymentsApi {
 public:
  DeploymentsApi(deployments::Deployments& engine, deployments::DirectiveBoard& board) : engine_(engine), board_(board) {}

  Response create(const Request& request) {
    Response refusal;
    std::optional<Json> body = body_of(request, refusal);
    if (!body) return refusal;
    Json answer;
    if (Status status = engine_.create(*body, author_of(request, ""), answer)) return refused(request, status);
    return json_answer(answer, 201);
  }

  Response list(const Request& request) const {
    auto query = http::parse_query(request.query);
    if (!query) return refused(request, {Code::invalid_argument, "the query string has a malformed %-escape"});
    std::string service;
    if (auto found = query->find("service"); found != query->end()) {
      service = found->second;
      if (std::string problem = validate_service_name("service", service); !problem.empty())
        return refused(request, {Code::invalid_argument, problem});
    }
    return json_answer({{"deployments", engine_.list(service)}});
  }

  Response describe(const Request& request) const {
    Json answer;
    if (Status status = engine_.describe(request.params.at("id"), answer)) return refused(request, status);
    return json_answer(answer);
  }

  Response command(const Request& request) {
    Json answer;
    const std::string& verb = request.params.at("command");
    if (Status status = engine_.command(request.params.at("id"), verb, author_of(request, ""), answer)) return refused(request, status);
    return json_answer(answer, verb == "retry" ? 201 : 200);
  }

  // The instance's latest directive once its index passes ?index= (at once when it already has),
  // or {"changed": false} when ?wait= seconds pass first.
  void watch(const Request& request, const http::Reply& reply) {
    std::string service, instance;
    if (Status problem = instance_of(request, service, instance)) return reply(refused(request, problem));
    Status problem;
    const std::optional<uint64_t> index = query_number(request, "index", 0, UINT64_MAX, problem);
    const std::optional<uint64_t> wait = query_number(request, "wait", 60, kMaxWatchSeconds, problem);
    if (!index || !wait) return reply(refused(request, problem));
    board_.watch(service, instance, *index, std::chrono::seconds(*wait),
                 [&board = board_, service, instance, index = *index, reply](bool changed) {
                   const std::optional<deployments::Directive> latest = board.latest(service, instance);
                   if (!changed || !latest)
                     return reply(json_answer({{"index", std::max<uint64_t>(index, board.index())}, {"changed", false}}));
                   reply(json_answer({{"index", latest->index}, {"changed", true}, {"directive", Json::parse(directive_json(*latest))}}));
                 });
  }

  // Each directive as it comes, for as long as the client stays.
  void stream(const Request& request, const std::shared_ptr<http::PushChannel>& channel) {
    std::string service, instance;
    if (Status problem = instance_of(request, service, instance)) return channel->close(problem.message());
    Status problem;
    const std::optional<uint64_t> index = query_number(request, "index", 0, UINT64_MAX, problem);
    if (!index) return channel->close(problem.message());
    follow(board_, service, instance, *index, channel, nullptr);
  }

  Response acknowledge(const Request& request) {
    std::string service, instance;
    if (Status problem = instance_of(request, service, instance)) return refused(request, problem);
    if (std::optional<Response> refusal = refuse_other_service(request, service)) return std::move(*refusal);
    Response refusal;
    std::optional<Json> body = body_of(request, refusal);
    if (!body) return refusal;
    for (const auto& [key, value] : body->items())
      if (key != "index" && key != "status" && key != "message")
        return refused(request, {Code::invalid_argument, "unknown field \"" + key + "\"; expected index, status, message"});
    const Json& index = (*body)["index"];
    const Json& status = (*body)["status"];
    const Json& message = body->value("message", Json(""));
    if (!index.is_number_unsigned()) return refused(request, {Code::invalid_argument, "index: required, the directive's index"});
    if (!status.is_string() || (status != "done" && status != "failed"))
      return refused(request, {Code::invalid_argument, "status: required, done or failed"});
    if (!message.is_string() || message.get<std::string>().size() > 1000)
      return refused(request, {Code::invalid_argument, "message: text of up to 1000 characters"});
    if (Status outcome = engine_.acknowledge(service, instance, index.get<uint64_t>(), status.get<std::string>(),
                                             printable_text(message.get<std::string>(), 1000)))
      return refused(request, outcome);
    return json_answer({{"acknowledged", true}});
  }

 private:
  struct Follower {
    std::mutex mutex;
    uint64_t watch = 0;
  };
  static void follow(deployments::DirectiveBoard& board, const std::string& service, const std::string& instance, uint64_t known,
                     std::shared_ptr<http::PushChannel> channel, std::shared_ptr<Follower> follower) {
    if (!follower) {
      follower = std::make_shared<Follower>();
      channel->on_close([&board, follower] {
        std::lock_guard lock(follower->mutex);
        board.cancel_watch(follower->watch);
      });
    }
    const uint64_t id = board.watch(service, instance, known, std::chrono::seconds(kMaxWatchSeconds),
                                    [&board, service, instance, known, channel, follower](bool changed) {
                                      if (!channel->open()) return;
                                      uint64_t now_known = known;
                                      if (changed)
                                        if (const std::optional<deployments::Directive> latest = board.latest(service, instance)) {
                                          channel->send(deployments::directive_json(*latest));
                                          now_known = latest->index;
                                        }
                                      follow(board, service, instance, now_known, channel, follower);
                                    });
    std::lock_guard lock(follower->mutex);
    follower->watch = std::max(follower->watch, id);
    if (!channel->open()) board.cancel_watch(follower->watch);
  }

  deployments::Deployments& engine_;
  deployments::DirectiveBoard& board_;
};

}  // namespace

void add_deployment_routes(http::Router& router, deployments::Deployments* engine, deployments::DirectiveBoard* board) {
  if (!engine) {
    for (const auto& [method, path] : std::vector<std::pair<const char*, const char*>>{{"POST", "/deployments"},
                                                                                       {"GET", "/deployments"},
                                                                                       {"GET", "/deployments/{id}"},
                                                                                       {"POST", "/deployments/{id}/{command}"},
                                                                                       {"GET", "/directives/{service}/{instance}"},
                                                                                       {"POST", "/directives/{service}/{instance}/ack"}})
      router.add(method, path, discovery_not_enabled);
    return;
  }
  auto api = std::make_shared<DeploymentsApi>(*engine, *board);
  router.add("POST", "/deployments", [api](const Request& r) { return api->create(r); });
  router.add("GET", "/deployments", [api](const Request& r) { return api->list(r); });
  router.add("GET", "/deployments/{id}", [api](const Request& r) { return api->describe(r); });
  router.add("POST", "/deployments/{id}/{command}", [api](const Request& r) { return api->command(r); });
  router.add_async("GET", "/directives/{service}/{instance}", [api](const Request& r, http::Reply reply) { api->watch(r, reply); });
  router.add_stream("/directives/{service}/{instance}/stream",
                    [api](const Request& r, std::shared_ptr<http::PushChannel> channel) { api->stream(r, channel); });
  router.add("POST", "/directives/{service}/{instance}/ack", [api](const Request& r) { return api->acknowledge(r); });
}

}  // namespace hub
