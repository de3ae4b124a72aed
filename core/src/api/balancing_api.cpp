#include "balancing_api.hpp"

#include "registry_api.hpp"
#include "request_message.hpp"

#include "http/encoding.hpp"
#include "hub/api/v1/balancing.pb.h"

#include <cmath>
#include <optional>

namespace hub {

namespace {

namespace v1 = api::v1;
using api::bad_request;
using http::Request;
using http::Response;

// Affinity keys are ids (a user_id, an account): longer is a mistake or an attack.
constexpr size_t kMaxKeyBytes = 256;
// Clients send a batch every 100 ms or so; this bounds one request's work.
constexpr int kMaxOutcomesPerBatch = 1000;
constexpr double kMaxDurationMs = 86'400'000;  // a day

std::optional<CallResult> result_of(const std::string& text) {
  if (text == "success") return CallResult::success;
  if (text == "failure") return CallResult::failure;
  if (text == "timeout") return CallResult::timeout;
  if (text == "rejected") return CallResult::rejected;
  return std::nullopt;
}

Response balanced(const Request& request, Balancer& balancer) {
  const std::string& name = request.params.at("name");
  auto query = http::parse_query(request.query);
  if (!query) return bad_request(request, "the query string has a malformed %-escape");
  std::string key;
  for (const auto& [parameter, value] : *query) {
    if (parameter != "key") return bad_request(request, parameter + ": unknown query parameter; GET /lb/{service} takes key");
    if (value.size() > kMaxKeyBytes) return bad_request(request, "key: at most " + std::to_string(kMaxKeyBytes) + " bytes");
    key = value;
  }
  const Balancer::Picked picked = balancer.pick(name, key, Balancer::Lease::until_reported);
  if (picked.status.code() == Code::not_found) return http::error(request, 404, "not_found", "service \"" + name + "\" is not registered");
  if (picked.status) return http::error(request, picked.status);
  const InstanceRecord& instance = picked.instance();
  const hub_lb_load figures = balancer.figures(picked.load());
  v1::BalancedEndpoint out;
  out.set_host(instance.host);
  out.set_port(instance.port);
  if (figures.load >= 0) out.set_load(figures.load);
  out.set_instance_id(instance.instance_id);
  out.set_url(url_of(instance));
  out.set_service_name(name);
  out.set_lease(picked.lease);
  out.set_in_flight(figures.active_requests);
  out.set_panic(picked.candidates->panic);
  return http::encode(request, out);
}

// Checks the whole batch before any of it counts: a bad outcome refuses the batch, naming it.
std::optional<std::string> problem_with(const v1::OutcomesRequest& batch) {
  if (batch.outcomes_size() > kMaxOutcomesPerBatch)
    return "outcomes: at most " + std::to_string(kMaxOutcomesPerBatch) + " in one batch, got " + std::to_string(batch.outcomes_size());
  for (int i = 0; i < batch.outcomes_size(); ++i) {
    const v1::CallOutcome& outcome = batch.outcomes(i);
    const std::string at = "outcomes[" + std::to_string(i) + "].";
    if (outcome.service_name().empty()) return at + "service_name: required";
    if (outcome.instance_id().empty()) return at + "instance_id: required (the instance_id GET /lb answered)";
    if (!result_of(outcome.result()))
      return at + "result: \"" + outcome.result().substr(0, 40) + "\" is not one of success, failure, timeout, rejected";
    if (!(outcome.duration_ms() >= 0 && outcome.duration_ms() <= kMaxDurationMs))
      return at + "duration_ms: between 0 and " + std::to_string(static_cast<int64_t>(kMaxDurationMs));
    if (outcome.lease() < 0) return at + "lease: the lease GET /lb answered, or 0";
  }
  return std::nullopt;
}

Response outcomes(const Request& request, Balancer& balancer) {
  v1::OutcomesRequest batch;
  if (auto failed = api::parse(request, batch)) return std::move(*failed);
  if (auto problem = problem_with(batch)) return bad_request(request, *problem);
  v1::OutcomesResponse out;
  for (const v1::CallOutcome& outcome : batch.outcomes()) {
    const CallOutcome call{outcome.instance_id(), *result_of(outcome.result()), std::llround(outcome.duration_ms() * 1000),
                           outcome.lease()};
    if (balancer.report(outcome.service_name(), call))
      out.set_accepted(out.accepted() + 1);
    else
      out.set_unknown(out.unknown() + 1);
  }
  return http::encode(request, out);
}

}  // namespace

void add_balancing_routes(http::Router& router, Balancer* balancer) {
  if (!balancer) {
    router.add("GET", "/lb/{name}", discovery_not_enabled);
    router.add("POST", "/outcomes", discovery_not_enabled);
    return;
  }
  router.add(
      "GET", "/lb/{name}", [balancer](const Request& r) { return balanced(r, *balancer); }, http::Runs::on_io_thread);
  router.add(
      "POST", "/outcomes", [balancer](const Request& r) { return outcomes(r, *balancer); }, http::Runs::on_io_thread);
}

}  // namespace hub
