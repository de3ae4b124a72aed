#include "balancing_api.hpp"

#include "access_gate.hpp"
#include "registry_api.hpp"
#include "request_message.hpp"

#include "basics/time_text.hpp"

#include "http/encoding.hpp"
#include "hub/api/v1/balancing.pb.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdio>
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

std::string seconds_text(int64_t us) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f s", static_cast<double>(us) / 1e6);
  return text;
}

Response balanced(const Request& request, Balancer& balancer, Circuits& circuits) {
  const std::string& name = request.params.at("name");
  auto query = http::parse_query(request.query);
  if (!query) return bad_request(request, "the query string has a malformed %-escape");
  std::string key;
  for (const auto& [parameter, value] : *query) {
    if (parameter != "key") return bad_request(request, parameter + ": unknown query parameter; GET /lb/{service} takes key");
    if (value.size() > kMaxKeyBytes) return bad_request(request, "key: at most " + std::to_string(kMaxKeyBytes) + " bytes");
    key = value;
  }
  if (!balancer.knows(name)) return http::error(request, 404, "not_found", "service \"" + name + "\" is not registered");
  const Circuits::Permit permit = circuits.acquire(name);
  if (!permit.permitted)
    return http::error(request, 503, "circuit_open",
                       "the circuit of \"" + name + "\" is " + permit.state +
                           (permit.retry_after_us > 0 ? "; it lets calls through again in " + seconds_text(permit.retry_after_us) : "") +
                           ": use your fallback (GET /circuits/" + name + " says why)");
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
  out.set_lease(static_cast<uint32_t>(picked.lease));  // monotonic seconds: uint32 lasts 136 years, and JSON shows a number
  out.set_in_flight(figures.active_requests);
  out.set_panic(picked.candidates->panic);
  return http::encode(request, out);
}

// What the balancer knows of each instance now: calls in flight through the hub's leases, the
// calls' latency, and the load its heartbeats report (null when unknown).
Response instance_loads(const Request& request, const Balancer& balancer) {
  const std::string& name = request.params.at("name");
  if (!balancer.knows(name)) return http::error(request, 404, "not_found", "service \"" + name + "\" is not registered");
  nlohmann::json instances = nlohmann::json::object();
  for (const auto& [id, figures] : balancer.loads(name))
    instances[id] = {{"in_flight", figures.active_requests},
                     {"latency_ms", figures.latency_us < 0 ? nlohmann::json() : nlohmann::json(figures.latency_us / 1000.0)},
                     {"load", figures.load < 0 ? nlohmann::json() : nlohmann::json(figures.load)}};
  return {200, "application/json", nlohmann::json{{"service_name", name}, {"instances", std::move(instances)}}.dump()};
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
  }
  return std::nullopt;
}

Response outcomes(const Request& request, Balancer& balancer, Circuits& circuits) {
  v1::OutcomesRequest batch;
  if (auto failed = api::parse(request, batch)) return std::move(*failed);
  if (auto problem = problem_with(batch)) return bad_request(request, *problem);
  v1::OutcomesResponse out;
  for (const v1::CallOutcome& outcome : batch.outcomes()) {
    const CallOutcome call{outcome.instance_id(), *result_of(outcome.result()), std::llround(outcome.duration_ms() * 1000),
                           outcome.lease()};
    if (!balancer.report(outcome.service_name(), call)) {
      out.set_unknown(out.unknown() + 1);
      continue;
    }
    circuits.record(outcome.service_name(), call.result, call.duration_us, call.lease > 0);
    out.set_accepted(out.accepted() + 1);
  }
  return http::encode(request, out);
}

Response drain(const Request& request, Balancer& balancer) {
  v1::DrainRequest in;
  if (auto failed = api::parse(request, in)) return std::move(*failed);
  if (in.service_name().empty()) return bad_request(request, "service_name: required");
  if (in.instance_id().empty()) return bad_request(request, "instance_id: required");
  if (auto refusal = refuse_other_service(request, in.service_name())) return std::move(*refusal);
  const bool draining = !in.has_draining() || in.draining();
  if (const Status status = balancer.set_draining(in.service_name(), in.instance_id(), draining)) return http::error(request, status);
  v1::DrainResponse out;
  out.set_service_name(in.service_name());
  out.set_instance_id(in.instance_id());
  out.set_draining(draining);
  return http::encode(request, out);
}

int64_t unix_of(const Clock& clock, int64_t monotonic_us) {
  return clock.now_unix_us() + (monotonic_us - clock.monotonic_us());
}

void to_proto(const Circuits::View& view, const Balancer& balancer, const Clock& clock, v1::CircuitState& out) {
  out.set_service_name(view.service);
  out.set_state(view.state);
  if (view.described) {
    if (view.figures.failure_rate >= 0) out.set_failure_rate(view.figures.failure_rate);
    if (view.figures.slow_call_rate >= 0) out.set_slow_call_rate(view.figures.slow_call_rate);
    out.set_calls(view.figures.calls);
    out.set_trial_calls(view.figures.trial_calls);
    if (view.figures.state != HUB_CIRCUIT_CLOSED) out.set_opened_at(rfc3339_utc(unix_of(clock, view.figures.opened_at_us)));
    if (view.figures.state == HUB_CIRCUIT_OPEN) out.set_retry_at(rfc3339_utc(unix_of(clock, view.figures.retry_at_us)));
  }
  for (const Balancer::Ejection& ejection : balancer.ejections(view.service)) {
    v1::EjectedInstance& ejected = *out.add_ejected();
    ejected.set_instance_id(ejection.instance_id);
    ejected.set_until(rfc3339_utc(unix_of(clock, ejection.until_us)));
    ejected.set_times(ejection.times);
    ejected.set_reason(ejection.reason);
  }
}

Response circuit(const Request& request, Balancer& balancer, Circuits& circuits, const Clock& clock) {
  const std::string& name = request.params.at("service");
  std::optional<Circuits::View> view;
  try {
    view = circuits.view(name);
  } catch (const std::exception& error) {
    return http::error(request, 500, "internal", std::string("no circuit breaker for \"") + name + "\": " + error.what());
  }
  if (!view) return http::error(request, 404, "not_found", "service \"" + name + "\" is not registered");
  v1::CircuitState out;
  to_proto(*view, balancer, clock, out);
  return http::encode(request, out);
}

Response all_circuits(const Request& request, Balancer& balancer, Circuits& circuits, const Clock& clock) {
  v1::CircuitsResponse out;
  for (const Circuits::View& view : circuits.views()) to_proto(view, balancer, clock, *out.add_circuits());
  return http::encode(request, out);
}

Response set_circuit(const Request& request, Circuits& circuits) {
  v1::CircuitStateRequest in;
  if (auto failed = api::parse(request, in)) return std::move(*failed);
  const std::string& name = request.params.at("service");
  const Status status = circuits.set_state(name, in.state(), author_of(request, ""));
  if (status.code() == Code::invalid_argument) return bad_request(request, status.message());
  if (status) return http::error(request, status);
  std::optional<Circuits::View> view = circuits.view(name);
  v1::CircuitState out;
  out.set_service_name(name);
  out.set_state(view ? view->state : in.state());
  return http::encode(request, out);
}

}  // namespace

void add_balancing_routes(http::Router& router, Balancer* balancer, Circuits* circuits, std::shared_ptr<const Clock> clock) {
  if (!balancer) {
    for (const auto& [method, path] : {std::pair{"GET", "/lb/{name}"},
                                       {"GET", "/lb/{name}/load"},
                                       {"POST", "/outcomes"},
                                       {"GET", "/circuits"},
                                       {"GET", "/circuits/{service}"},
                                       {"PUT", "/circuits/{service}/state"}})
      router.add(method, path, discovery_not_enabled);
    return;
  }
  router.add(
      "GET", "/lb/{name}/load", [balancer](const Request& r) { return instance_loads(r, *balancer); }, http::Runs::on_io_thread);
  router.add(
      "GET", "/lb/{name}", [balancer, circuits](const Request& r) { return balanced(r, *balancer, *circuits); }, http::Runs::on_io_thread);
  router.add(
      "POST", "/outcomes", [balancer, circuits](const Request& r) { return outcomes(r, *balancer, *circuits); }, http::Runs::on_io_thread);
  router.add(
      "POST", "/drain", [balancer](const Request& r) { return drain(r, *balancer); }, http::Runs::on_io_thread);
  router.add(
      "GET", "/circuits", [balancer, circuits, clock](const Request& r) { return all_circuits(r, *balancer, *circuits, *clock); },
      http::Runs::on_io_thread);
  router.add(
      "GET", "/circuits/{service}", [balancer, circuits, clock](const Request& r) { return circuit(r, *balancer, *circuits, *clock); },
      http::Runs::on_io_thread);
  router.add("PUT", "/circuits/{service}/state", [circuits](const Request& r) { return set_circuit(r, *circuits); });
}

}  // namespace hub
