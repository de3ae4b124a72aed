// The service's circuit through the hub, shared by every caller: it opens on the outcomes they
// report, GET /lb refuses while it is open, HALF_OPEN lets a few trial calls through, operators
// force or disable it, and every move is an event. Outlier detection ejects failing instances.
#include "circuit_breaker_plugin.hpp"
#include "hub/api/v1/balancing.pb.h"
#include "support/registry_hub.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <mutex>

namespace {

using Json = nlohmann::json;
using namespace std::chrono_literals;

hub::HubOptions options(std::shared_ptr<hub::ManualClock> clock, const std::string& breaker_config, const std::string& balancing = "{}") {
  const std::string libraries = std::string(hub::testing::kLiveness) + R"(
    - library: circuit-breaker
      enable: [{implementation: sliding_window, id: strict, config: )" +
                                breaker_config + "}]\n";
  hub::HubOptions options = hub::testing::registry_options(libraries, clock, "{backend: memory}",
                                                           "circuit_breaking: {breaker: strict}\nload_balancing: " + balancing + "\n");
  options.static_plugins.push_back({"circuit-breaker", &circuit_breaker_plugin});
  return options;
}

class Circuits : public ::testing::Test {
 protected:
  void start(const std::string& breaker_config, const std::string& balancing = "{}") {
    hub_ = std::make_unique<hub::testing::TestHub>(options(clock_, breaker_config, balancing));
    (*hub_)->events().subscribe(
        [this](const hub::Event& event) {
          std::lock_guard lock(mutex_);
          topics_.push_back(event.topic);
        },
        {"circuit.", "instance.ejected"});
  }
  void add(const std::string& host) {
    ASSERT_EQ(hub_->post("/register", Json{{"service_name", "ml-processing"}, {"host", host}, {"port", 8001}}.dump()).status, 201);
  }
  hub::HttpReply lb() const { return hub_->get("/lb/ml-processing"); }
  // Picks through /lb and reports the call's outcome.
  void call(const std::string& result, double ms = 5) {
    const auto picked = lb();
    ASSERT_EQ(picked.status, 200) << picked.body;
    report(Json::parse(picked.body), result, ms);
  }
  void report(const Json& picked, const std::string& result, double ms = 5) {
    const Json batch{{"outcomes",
                      {{{"service_name", "ml-processing"},
                        {"instance_id", picked["instance_id"]},
                        {"result", result},
                        {"duration_ms", ms},
                        {"lease", picked["lease"]}}}}};
    ASSERT_EQ(hub_->post("/outcomes", batch.dump()).status, 200);
  }
  Json circuit() const {
    const auto reply = hub_->get("/circuits/ml-processing");
    EXPECT_EQ(reply.status, 200) << reply.body;
    return Json::parse(reply.body);
  }
  hub::HttpReply put_state(const std::string& state) const {
    hub::HttpCallOptions put;
    put.body = Json{{"state", state}}.dump();
    return hub::http_call("PUT", hub_->url() + "/circuits/ml-processing/state", put);
  }
  std::vector<std::string> topics() {
    std::lock_guard lock(mutex_);
    return topics_;
  }

  std::shared_ptr<hub::ManualClock> clock_ = std::make_shared<hub::ManualClock>();
  std::unique_ptr<hub::testing::TestHub> hub_;
  std::mutex mutex_;
  std::vector<std::string> topics_;
};

TEST_F(Circuits, OpensOnEveryCallersFailuresAndLbRefusesUntilTheTrialsSucceed) {
  start("{sliding_window_size: 10, minimum_number_of_calls: 4, failure_rate_threshold: 50, wait_in_open_ms: 10000, trial_calls: 2}");
  add("10.0.0.1"), add("10.0.0.2");
  EXPECT_EQ(circuit()["state"], "CLOSED");  // the seed's get_circuit_state
  call("success"), call("failure"), call("success");
  EXPECT_EQ(circuit()["state"], "CLOSED");
  EXPECT_FALSE(circuit().contains("failure_rate"));  // 3 calls: below the minimum
  call("timeout");                                   // 2 of 4 failed
  const Json open = circuit();
  EXPECT_EQ(open["state"], "OPEN");
  EXPECT_EQ(open["failure_rate"], 50.0);
  EXPECT_EQ(open["calls"], 4);
  EXPECT_FALSE(open["opened_at"].get<std::string>().empty());
  EXPECT_FALSE(open["retry_at"].get<std::string>().empty());
  const auto refused = lb();
  EXPECT_EQ(refused.status, 503);
  EXPECT_NE(refused.body.find("circuit_open"), std::string::npos) << refused.body;
  EXPECT_NE(refused.body.find("10.0 s"), std::string::npos) << refused.body;

  clock_->advance(10s);
  EXPECT_EQ(circuit()["state"], "HALF_OPEN");  // by itself, after its wait
  const Json first = Json::parse(lb().body), second = Json::parse(lb().body);
  EXPECT_EQ(lb().status, 503);  // two trials out: the rest wait, no stampede
  report(first, "success");
  report(second, "success");
  EXPECT_EQ(circuit()["state"], "CLOSED");
  EXPECT_EQ(lb().status, 200);
  EXPECT_EQ(topics(), (std::vector<std::string>{"circuit.open", "circuit.half_open", "circuit.closed"}));
  const std::string metrics = hub_->get("/metrics").body;
  EXPECT_NE(metrics.find(R"(hub_circuit_state{service="ml-processing",state="CLOSED"} 1)"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find(R"(hub_circuit_state{service="ml-processing",state="OPEN"} 0)"), std::string::npos);
}

TEST_F(Circuits, AnOutcomeWithoutALeaseDoesNotDecideHalfOpen) {
  start("{minimum_number_of_calls: 1, consecutive_failures: 1, wait_in_open_ms: 1000, trial_calls: 1}");
  add("10.0.0.1");
  call("failure");
  clock_->advance(1s);
  ASSERT_EQ(circuit()["state"], "HALF_OPEN");
  report(Json{{"instance_id", "10.0.0.1:8001"}, {"lease", 0}}, "success");  // a caller that picked on its own
  EXPECT_EQ(circuit()["state"], "HALF_OPEN");
  call("success");  // the trial
  EXPECT_EQ(circuit()["state"], "CLOSED");
}

TEST_F(Circuits, OperatorsForceItOpenDisableItAndResetIt) {
  start("{minimum_number_of_calls: 1, consecutive_failures: 1}");
  add("10.0.0.1");
  ASSERT_EQ(put_state("FORCED_OPEN").status, 200);
  EXPECT_EQ(circuit()["state"], "FORCED_OPEN");
  EXPECT_EQ(lb().status, 503);
  ASSERT_EQ(put_state("DISABLED").status, 200);
  call("failure");  // would open it
  EXPECT_EQ(circuit()["state"], "DISABLED");
  EXPECT_EQ(lb().status, 200);
  ASSERT_EQ(put_state("CLOSED").status, 200);
  EXPECT_EQ(circuit()["state"], "CLOSED");
  call("failure");
  EXPECT_EQ(circuit()["state"], "OPEN");
  ASSERT_EQ(put_state("CLOSED").status, 200);  // a reset: a fresh breaker
  EXPECT_EQ(circuit()["state"], "CLOSED");
  EXPECT_EQ(put_state("HALF_OPEN").status, 400);
  EXPECT_EQ(put_state("SHUT").status, 400);
  EXPECT_EQ(hub_->get("/circuits/nobody").status, 404);
  const Json all = Json::parse(hub_->get("/circuits").body);
  ASSERT_EQ(all["circuits"].size(), 1u);
  EXPECT_EQ(all["circuits"][0]["service_name"], "ml-processing");
  EXPECT_EQ(topics(),
            (std::vector<std::string>{"circuit.forced_open", "circuit.disabled", "circuit.closed", "circuit.open", "circuit.closed"}));
}

TEST_F(Circuits, OutlierDetectionEjectsNoMoreThanMaxEjectionPercentExactly) {
  start("{minimum_number_of_calls: 1000}",
        "{balancer: '', outlier_detection: {consecutive_failures: 3, base_ejection_seconds: 30, max_ejection_percent: 20}}");
  for (int i = 1; i <= 5; ++i) add("10.0.0." + std::to_string(i));
  const auto fail_on = [&](const std::string& instance, int times) {
    for (int i = 0; i < times; ++i) report(Json{{"instance_id", instance}, {"lease", 0}}, "failure");
  };
  lb();  // the balancer knows the service's instances from its first pick
  fail_on("10.0.0.1:8001", 3);
  fail_on("10.0.0.2:8001", 3);  // a second would be 40% of 5: refused
  const Json ejected = circuit()["ejected"];
  ASSERT_EQ(ejected.size(), 1u);
  EXPECT_EQ(ejected[0]["instance_id"], "10.0.0.1:8001");
  EXPECT_EQ(ejected[0]["times"], 1);
  EXPECT_NE(ejected[0]["reason"].get<std::string>().find("3 consecutive"), std::string::npos);
  for (int i = 0; i < 40; ++i) EXPECT_NE(Json::parse(lb().body)["instance_id"], "10.0.0.1:8001");
  clock_->advance(30s);
  std::set<std::string> seen;
  for (int i = 0; i < 10; ++i) seen.insert(Json::parse(lb().body)["instance_id"]);
  EXPECT_TRUE(seen.count("10.0.0.1:8001"));  // back after its ejection time
  EXPECT_TRUE(circuit()["ejected"].empty());
  EXPECT_EQ(topics(), (std::vector<std::string>{"instance.ejected"}));
  EXPECT_NE(hub_->get("/metrics").body.find(R"(hub_instance_ejections_total{service="ml-processing"} 1)"), std::string::npos);
}

TEST_F(Circuits, TenPercentOfFiveInstancesIsNone) {
  start("{minimum_number_of_calls: 1000}", "{outlier_detection: {consecutive_failures: 1, max_ejection_percent: 10}}");
  for (int i = 1; i <= 5; ++i) add("10.0.0." + std::to_string(i));
  lb();
  report(Json{{"instance_id", "10.0.0.1:8001"}, {"lease", 0}}, "failure");
  EXPECT_TRUE(circuit()["ejected"].empty());
}

}  // namespace
