// hub::Client's balancing: pick through the hub, guard a call (pick, call, report), the seed's
// circuit state, and a guarded call refused while the circuit is open.
#include "circuit_breaker_plugin.hpp"
#include "load_balancer_plugin.hpp"
#include "support/registry_hub.hpp"

#include <hub/client.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <set>
#include <stdexcept>

namespace {

using Json = nlohmann::json;

hub::HubOptions options() {
  const std::string libraries = std::string(hub::testing::kLiveness) + R"(
    - library: load-balancer
      enable: [{implementation: least_request, id: least, config: {choice_count: 0}}]
    - library: circuit-breaker
      enable: [{implementation: sliding_window, id: strict, config: {minimum_number_of_calls: 4, failure_rate_threshold: 50}}]
)";
  hub::HubOptions options = hub::testing::registry_options(libraries, nullptr, "{backend: memory}",
                                                           "load_balancing: {balancer: least}\ncircuit_breaking: {breaker: strict}\n");
  options.static_plugins.push_back({"load-balancer", &load_balancer_plugin});
  options.static_plugins.push_back({"circuit-breaker", &circuit_breaker_plugin});
  return options;
}

class BalancingClient : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* host : {"10.0.0.1", "10.0.0.2"})
      ASSERT_EQ(hub_.post("/register", Json{{"service_name", "data-bridge"}, {"host", host}, {"port", 8001}}.dump()).status, 201);
  }
  uint32_t in_flight() {  // as the hub counts them, over every caller (this peek adds one)
    return Json::parse(hub_.get("/lb/data-bridge").body)["in_flight"].get<uint32_t>() - 1;
  }
  hub::testing::TestHub hub_{options()};
  hub::Client client_{{.hub_url = hub_.url()}};
};

TEST_F(BalancingClient, PicksTheSeedsBestInstanceAndGuardReportsTheCall) {
  const hub::Endpoint first = client_.pick("data-bridge");
  EXPECT_EQ(first.port, 8001);
  EXPECT_EQ(first.url, "http://" + first.host + ":8001");
  EXPECT_GT(first.lease, 0);
  EXPECT_FALSE(first.load.has_value());  // no heartbeat reported one
  const hub::Endpoint second = client_.pick("data-bridge");
  EXPECT_NE(second.host, first.host);  // least request: the first call is still in flight
  client_.report({"data-bridge", first.instance_id, hub::CallResult::success, std::chrono::milliseconds(3), first.lease});
  client_.report({"data-bridge", second.instance_id, hub::CallResult::success, std::chrono::milliseconds(3), second.lease});
  client_.flush_reports();
  const std::string answer = client_.guard("data-bridge", [](const hub::Endpoint& endpoint) { return "called " + endpoint.host; });
  EXPECT_EQ(answer.rfind("called 10.0.0.", 0), 0u);
  client_.flush_reports();
  EXPECT_EQ(in_flight(), 0u);  // every call reported back: none left in flight at the hub
  EXPECT_EQ(client_.reports_dropped(), 0u);
}

TEST_F(BalancingClient, FailedGuardedCallsOpenTheCircuitAndTheNextGuardIsRefused) {
  EXPECT_EQ(client_.circuit_state("data-bridge"), "CLOSED");
  for (int i = 0; i < 4; ++i)
    EXPECT_THROW(client_.guard("data-bridge", [](const hub::Endpoint&) -> int { throw std::runtime_error("connection refused"); }),
                 std::runtime_error);
  client_.flush_reports();
  EXPECT_EQ(client_.circuit_state("data-bridge"), "OPEN");
  bool called = false;
  EXPECT_THROW(client_.guard("data-bridge", [&](const hub::Endpoint&) { called = true; }), hub::CircuitOpen);
  EXPECT_FALSE(called);  // refused before the call: the caller's fallback takes it
  EXPECT_THROW(client_.circuit_state("nobody"), hub::ClientError);
}

TEST_F(BalancingClient, PicksLocallyWithTheSameStrategiesOverTheInstancesItFetched) {
  hub::Client local({.hub_url = hub_.url(),
                     .local_strategy = "least_request",
                     .local_strategy_config = {{"choice_count", "0"}},
                     .local_refresh = std::chrono::milliseconds(0)});
  const hub::Endpoint first = local.pick("data-bridge", "", hub::Pick::locally);
  EXPECT_EQ(first.lease, 0);  // no round trip to the hub's balancer: nothing leased there
  const hub::Endpoint second = local.pick("data-bridge", "", hub::Pick::locally);
  EXPECT_NE(second.host, first.host);  // its own first call is still in flight
  local.report({"data-bridge", first.instance_id, hub::CallResult::success, std::chrono::milliseconds(2), 0});
  EXPECT_EQ(local.pick("data-bridge", "", hub::Pick::locally).host, first.host);  // the first one is free again

  // A degraded instance serves only when none is healthy; the list is fetched again (local_refresh: 0).
  ASSERT_EQ(hub_.post("/heartbeat", R"({"service_name":"data-bridge","instance_id":"10.0.0.1:8001","status":"degraded"})").status, 200);
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(local.guard(
                  "data-bridge", [](const hub::Endpoint& e) { return e.host; }, "", hub::Pick::locally),
              "10.0.0.2");

  hub::HttpCallOptions put;
  put.body = R"({"state":"FORCED_OPEN"})";
  ASSERT_EQ(hub::http_call("PUT", hub_.url() + "/circuits/data-bridge/state", put).status, 200);
  EXPECT_THROW(local.pick("data-bridge", "", hub::Pick::locally), hub::CircuitOpen);  // the circuit holds for local picks too
  EXPECT_THROW(hub::Client({.hub_url = hub_.url(), .local_strategy = "fastest"}), std::invalid_argument);
  EXPECT_THROW(hub::Client({.hub_url = hub_.url(), .local_strategy = "least_request", .local_strategy_config = {{"choice_count", "-1"}}}),
               std::invalid_argument);
}

TEST_F(BalancingClient, ARegisteredInstanceDrainsBeforeItStops) {
  hub::Client service({.hub_url = hub_.url()});
  EXPECT_THROW(service.drain(), hub::ClientError);  // nothing registered yet
  service.register_service({.name = "data-bridge", .host = "10.0.0.3", .port = 8001});
  service.drain();
  for (int i = 0; i < 6; ++i) EXPECT_NE(client_.pick("data-bridge").host, "10.0.0.3");
  service.drain(false);
  std::set<std::string> hosts;
  for (int i = 0; i < 12; ++i) {
    const hub::Endpoint endpoint = client_.pick("data-bridge");
    hosts.insert(endpoint.host);
    client_.report({"data-bridge", endpoint.instance_id, hub::CallResult::success, std::chrono::milliseconds(1), endpoint.lease});
    client_.flush_reports();
  }
  EXPECT_TRUE(hosts.count("10.0.0.3"));
}

}  // namespace
