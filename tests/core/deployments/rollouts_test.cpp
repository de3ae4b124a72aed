// Rollouts end to end: a fleet of in-test instances (hub::Client, obeying their directives and
// registering again with the new version) goes through rolling, canary and blue-green rollouts,
// gates that fail, aborts, a deadline, and a hub killed mid-rollout.
#include "support/free_port.hpp"
#include "support/hubd_process.hpp"
#include "support/integration_servers.hpp"
#include "support/registry_hub.hpp"

#include <hub/client.hpp>
#include <hub/errors.hpp>

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/WebSocket.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nats/nats.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <memory>
#include <thread>

namespace hub {
namespace {

using Json = nlohmann::json;
using namespace std::chrono_literals;

// Polls `done` until it holds or `limit` passes; whether it held.
bool eventually(const std::function<bool()>& done, std::chrono::milliseconds limit = 30s) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(20ms);  // polling the hub's answers, bounded by the deadline
  }
  return done();
}

// An instance of the service: registers, follows its directives, and on "upgrade" stops (leaves
// the registry) and comes back as the new version, as a restarted process would.
class Member {
 public:
  enum class Obeys { always, never, fails_upgrades };
  Member(const std::string& hub_url, const std::string& service, const std::string& id, const std::string& version, int number,
         Obeys obeys = Obeys::always)
      : client_({.hub_url = hub_url, .request_timeout = 5s, .initial_backoff = 50ms, .max_backoff = 500ms}), obeys_(obeys) {
    registration_.name = service;
    registration_.host = "10.0.0." + std::to_string(number);
    registration_.port = 8001;
    registration_.version = version;
    registration_.instance_id = id;
    client_.register_service(registration_);
    if (obeys_ != Obeys::never) client_.on_directive([this](const hub::Directive& d) { return obey(d); });
  }
  int upgrades() const { return upgrades_; }
  int retired() const { return retired_; }
  std::string version() {
    std::lock_guard lock(mutex_);
    return registration_.version;
  }
  hub::Client& client() { return client_; }

 private:
  hub::DirectiveResult obey(const hub::Directive& directive) {
    if (directive.action == "upgrade") {
      if (obeys_ == Obeys::fails_upgrades) return {false, "the new version does not start: missing library"};
      client_.deregister();
      {
        std::lock_guard lock(mutex_);
        registration_.version = directive.version;
      }
      client_.register_service(registration_);
      ++upgrades_;
      return {true, "running " + directive.version};
    }
    if (directive.action == "retire") {
      client_.deregister();
      ++retired_;
    }
    return {true, ""};
  }

  hub::Client client_;
  hub::ServiceRegistration registration_;
  std::mutex mutex_;
  Obeys obeys_;
  std::atomic<int> upgrades_{0}, retired_{0};
};

class Rollouts : public ::testing::Test {
 protected:
  Json post(const std::string& path, const Json& body, int expected) {
    const HttpReply reply = hub_.post(path, body.dump());
    EXPECT_EQ(reply.status, expected) << path << ": " << reply.body;
    return Json::parse(reply.body, nullptr, false);
  }
  Json rollout(const std::string& id) { return Json::parse(hub_.get("/deployments/" + id).body); }
  std::string phase(const std::string& id) { return rollout(id)["phase"].get<std::string>(); }
  bool ends(const std::string& id, const std::string& expected, std::chrono::milliseconds limit = 30s) {
    const bool ended = eventually([&] { return phase(id) != "progressing" && phase(id) != "rolling_back"; }, limit);
    EXPECT_EQ(phase(id), expected) << rollout(id).dump(2);
    return ended && phase(id) == expected;
  }
  void start_fleet(size_t count, const std::string& version = "v2.0.0", const std::string& prefix = "i-",
                   Member::Obeys obeys = Member::Obeys::always) {
    for (size_t i = 0; i < count; ++i)
      fleet_.push_back(std::make_unique<Member>(hub_.url(), "trading-engine", prefix + std::to_string(i), version,
                                                static_cast<int>(fleet_.size() + 1), obeys));
  }
  std::map<std::string, int> versions() {
    std::map<std::string, int> out;
    const Json service = Json::parse(hub_.get("/services/trading-engine").body);
    for (const Json& instance : service["instances"]) ++out[instance["version"]];
    return out;
  }
  int discovered_at(const std::string& version, int picks = 40) {
    int count = 0;
    for (int i = 0; i < picks; ++i) count += Json::parse(hub_.get("/discover/trading-engine").body)["instance"]["version"] == version;
    return count;
  }
  std::string config_feature() { return Json::parse(hub_.get("/config/trading-engine").body)["config"].value("feature", ""); }
  void post_outcomes(const std::string& version, int count, const std::string& result) {
    Json outcomes = Json::array();
    const Json service = Json::parse(hub_.get("/services/trading-engine").body);
    for (const Json& instance : service["instances"])
      if (instance["version"] == version)
        for (int i = 0; i < count; ++i)
          outcomes.push_back(
              {{"service_name", "trading-engine"}, {"instance_id", instance["instance_id"]}, {"result", result}, {"duration_ms", 4}});
    post("/outcomes", {{"outcomes", outcomes}}, 200);
  }

  testing::TestHub hub_{testing::registry_options()};
  std::vector<std::unique_ptr<Member>> fleet_;
};

// The seed's coordinate_deployment, with the README's figures: ten instances in batches of two.
TEST_F(Rollouts, RollingUpdateOfTenInstancesInBatchesOfTwo) {
  start_fleet(10);
  const auto started = std::chrono::steady_clock::now();
  const Json created = post("/deployments",
                            {{"service", "trading-engine"},
                             {"version", "v2.1.0"},
                             {"strategy", "rolling"},
                             {"batch_size", 2},
                             {"min_ready_seconds", 0},
                             {"gates", {{"healthy_seconds", 0}}}},
                            201);
  const std::string id = created["id"];
  EXPECT_EQ(created["from_version"], "v2.0.0");
  size_t most_held = 0;
  ASSERT_TRUE(eventually([&] {
    const Json now = rollout(id);
    most_held = std::max(most_held, now["held"].size());
    return now["phase"] != "progressing";
  }));
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  const Json done = rollout(id);
  ASSERT_EQ(done["phase"], "succeeded") << done.dump(2);
  std::printf("[ figures  ] rolling update of 10 instances in batches of 2: %.2f s\n", seconds);
  EXPECT_EQ(versions(), (std::map<std::string, int>{{"v2.1.0", 10}}));
  EXPECT_LE(most_held, 2u) << "never more than a batch out of rotation";
  EXPECT_EQ(done["batches_done"], 5);
  EXPECT_EQ(done["batches_total"], 5);
  EXPECT_TRUE(done["promoted"].get<bool>());
  int drains = 0, upgrades = 0;
  for (const Json& line : done["history"]) {
    drains += line["action"] == "drain";
    upgrades += line["action"] == "upgrade";
  }
  EXPECT_EQ(drains, 10);
  EXPECT_EQ(upgrades, 10);
  for (const auto& member : fleet_) EXPECT_EQ(member->upgrades(), 1);
  EXPECT_EQ(discovered_at("v2.1.0", 10), 10) << "every instance back in rotation";
}

TEST_F(Rollouts, HeldInstancesGetNoCallsWhileTheyUpgrade) {
  start_fleet(3);
  start_fleet(1, "v2.0.0", "slow-", Member::Obeys::never);  // drained first (by name order), and never moves
  const std::string id = post("/deployments", {{"service", "trading-engine"}, {"version", "v3"}, {"min_ready_seconds", 0}}, 201)["id"];
  ASSERT_TRUE(eventually([&] { return rollout(id)["held"].size() == 1; }));
  const std::string held = rollout(id)["held"][0];
  for (int i = 0; i < 20; ++i) EXPECT_NE(Json::parse(hub_.get("/discover/trading-engine").body)["instance"]["instance_id"], held);
}

TEST_F(Rollouts, ACanaryFailingItsGateAfterPromotionRollsBackWithItsConfig) {
  std::mutex mutex;
  std::vector<std::string> topics;
  const uint64_t subscription = hub_->events().subscribe(
      [&](const Event& event) {
        std::lock_guard lock(mutex);
        topics.push_back(event.topic);
      },
      {"deployment."});
  post("/config/trading-engine", {{"config_data", {{"feature", "old"}}}}, 201);
  start_fleet(4);
  const std::string id = post("/deployments",
                              {{"service", "trading-engine"},
                               {"version", "v2.1.0"},
                               {"strategy", "canary"},
                               {"min_ready_seconds", 0},
                               {"steps", {{{"weight", 25}, {"pause_seconds", 0}}, {{"weight", 100}, {"pause_seconds", 600}}}},
                               {"gates", {{"healthy_seconds", 0}, {"max_failures", 3}}},
                               {"config", {{"feature", "new"}}}},
                              201)["id"];
  // Promoted at 100%: the config is the new one while the last step bakes.
  ASSERT_TRUE(eventually([&] { return rollout(id)["promoted"].get<bool>() && config_feature() == "new"; })) << rollout(id).dump(2);
  EXPECT_EQ(versions(), (std::map<std::string, int>{{"v2.1.0", 4}}));
  // Failures on the new version with no stable traffic left to compare: the count rule fails it.
  post_outcomes("v2.1.0", 1, "failure");
  ASSERT_TRUE(ends(id, "rolled_back"));
  const Json ended = rollout(id);
  EXPECT_NE(ended["reason"].get<std::string>().find("failed calls"), std::string::npos) << ended["reason"];
  EXPECT_EQ(versions(), (std::map<std::string, int>{{"v2.0.0", 4}}));
  EXPECT_EQ(config_feature(), "old") << "the config went back with the code";
  hub_->events().unsubscribe(subscription);
  std::lock_guard lock(mutex);
  for (const char* topic : {"deployment.started", "deployment.promoted", "deployment.rolling_back", "deployment.rolled_back"})
    EXPECT_NE(std::find(topics.begin(), topics.end(), topic), topics.end()) << topic;
}

// Spikes that act: an error the new version brings (a fingerprint first seen since the rollout
// began), reported by its instances to POST /errors, fails the gate and rolls the rollout back.
TEST_F(Rollouts, ANewErrorOfTheNewVersionRollsItBack) {
  start_fleet(4);
  // Reports `count` events of one cause; its fingerprint.
  const auto report = [&](const std::string& version, const std::string& message, int count) -> std::string {
    Json events = Json::array();
    for (int i = 0; i < count; ++i)
      events.push_back({{"service", "trading-engine"},
                        {"version", version},
                        {"type", "KeyError"},
                        {"message", message + std::to_string(i)},
                        {"frames", {{{"module", "engine.orders"}, {"function", "match"}, {"in_app", true}}}}});
    return post("/errors", {{"events", events}}, 200)["fingerprints"][0];
  };
  report("v2.0.0", "'order-", 20);  // an old error, known before the rollout: not the new version's doing
  const std::string id = post("/deployments",
                              {{"service", "trading-engine"},
                               {"version", "v2.1.0"},
                               {"strategy", "canary"},
                               {"min_ready_seconds", 0},
                               {"steps", {{{"weight", 50}, {"pause_seconds", 600}}, {{"weight", 100}, {"pause_seconds", 0}}}},
                               {"gates", {{"healthy_seconds", 0}, {"max_new_error_events", 5}}}},
                              201)["id"];
  ASSERT_TRUE(eventually([&] { return versions()["v2.1.0"] == 2 && rollout(id)["gate"]["verdict"] == "passing"; })) << rollout(id).dump(2);
  // Neither of these may fail the gate: the old error from the new version (its fingerprint was
  // known before), and a new error from the old version. Were either counted, the reason below would
  // name it, with its own count.
  report("v2.1.0", "'order-", 20);
  report("v2.0.0", "position -", 9);
  const std::string brought = report("v2.1.0", "limit exceeded for desk ", 5);  // new since the rollout, from the new version
  ASSERT_TRUE(ends(id, "rolled_back"));
  const std::string reason = rollout(id)["reason"];
  EXPECT_THAT(reason, ::testing::HasSubstr("a new error since the rollout began, " + brought + " (KeyError), reported 5 times"));
  EXPECT_EQ(versions(), (std::map<std::string, int>{{"v2.0.0", 4}}));
}

TEST_F(Rollouts, ACanaryGetsItsWeightOfTheCallsAndNoMore) {
  start_fleet(4);
  const std::string id = post("/deployments",
                              {{"service", "trading-engine"},
                               {"version", "v2.1.0"},
                               {"strategy", "canary"},
                               {"min_ready_seconds", 0},
                               {"steps", {{{"weight", 10}, {"pause_seconds", 600}}}},
                               {"gates", {{"healthy_seconds", 0}}}},
                              201)["id"];
  ASSERT_TRUE(eventually([&] { return rollout(id)["weight_percent"] == 10 && rollout(id)["step"] == 1; })) << rollout(id).dump(2);
  EXPECT_EQ(versions(), (std::map<std::string, int>{{"v2.0.0", 3}, {"v2.1.0", 1}}));
  const int canary = discovered_at("v2.1.0", 600);
  EXPECT_NEAR(canary, 60, 30) << "one instance of four, at 10%: its weight, not its quarter";
  post("/deployments/" + id + "/promote", Json::object(), 200);
  ASSERT_TRUE(ends(id, "succeeded"));
  EXPECT_EQ(versions(), (std::map<std::string, int>{{"v2.1.0", 4}}));
}

TEST_F(Rollouts, BlueGreenSwitchesAtOnceAndAnAbortSwitchesBack) {
  start_fleet(2, "v1", "blue-");
  const std::string id = post("/deployments",
                              {{"service", "trading-engine"},
                               {"version", "v2"},
                               {"strategy", "blue_green"},
                               {"green_count", 2},
                               {"rollback_window_seconds", 600},
                               {"min_ready_seconds", 0},
                               {"gates", {{"healthy_seconds", 0}}}},
                              201)["id"];
  start_fleet(2, "v2", "green-");
  ASSERT_TRUE(eventually([&] { return rollout(id)["weight_percent"] == 100; })) << rollout(id).dump(2);
  EXPECT_EQ(discovered_at("v2"), 40) << "after the switch every call goes to green";
  post("/deployments/" + id + "/abort", Json::object(), 200);
  EXPECT_EQ(discovered_at("v1"), 40) << "the abort switched back before its answer";
  ASSERT_TRUE(ends(id, "aborted"));
  ASSERT_TRUE(eventually([&] { return versions() == std::map<std::string, int>{{"v1", 2}}; })) << "green was told to stop";
}

TEST_F(Rollouts, BlueGreenRetiresBlueAfterTheWindow) {
  start_fleet(1, "v1", "blue-");
  start_fleet(1, "v2", "green-");
  const std::string id = post("/deployments",
                              {{"service", "trading-engine"},
                               {"version", "v2"},
                               {"from_version", "v1"},
                               {"strategy", "blue_green"},
                               {"rollback_window_seconds", 1},
                               {"min_ready_seconds", 0},
                               {"gates", {{"healthy_seconds", 0}}}},
                              201)["id"];
  ASSERT_TRUE(ends(id, "succeeded"));
  ASSERT_TRUE(eventually([&] { return versions() == std::map<std::string, int>{{"v2", 1}}; }));
  EXPECT_EQ(fleet_[0]->retired(), 1);
}

TEST_F(Rollouts, AbortWinsInEveryStateAndRetryStartsAgain) {
  start_fleet(2, "v1", "i-", Member::Obeys::never);  // holds each rollout mid-batch
  const Json body = {{"service", "trading-engine"}, {"version", "v2"}, {"min_ready_seconds", 0}};
  // Progressing, mid-batch.
  std::string id = post("/deployments", body, 201)["id"];
  ASSERT_TRUE(eventually([&] { return !rollout(id)["held"].empty(); }));
  post("/deployments/" + id + "/abort", Json::object(), 200);
  ASSERT_TRUE(ends(id, "aborted"));
  EXPECT_TRUE(rollout(id)["held"].empty());
  // Paused.
  id = post("/deployments/" + id + "/retry", Json::object(), 201)["id"];
  post("/deployments/" + id + "/pause", Json::object(), 200);
  EXPECT_EQ(phase(id), "paused");
  post("/deployments/" + id + "/abort", Json::object(), 200);
  ASSERT_TRUE(ends(id, "aborted"));
  // Rolling back: the abort is taken, and it ends as aborted.
  const Json failing = {{"service", "trading-engine"}, {"version", "v3"}, {"progress_deadline_seconds", 1}};
  id = post("/deployments", failing, 201)["id"];
  ASSERT_TRUE(eventually([&] { return phase(id) != "progressing"; }));
  if (phase(id) == "rolling_back") post("/deployments/" + id + "/abort", Json::object(), 200);
  eventually([&] { return phase(id) != "rolling_back"; });
  EXPECT_TRUE(phase(id) == "aborted" || phase(id) == "rolled_back") << rollout(id).dump(2);
  // Ended: nothing left to abort.
  EXPECT_EQ(hub_.post("/deployments/" + id + "/abort", "{}").status, 409);
  EXPECT_EQ(hub_.post("/deployments/" + id + "/pause", "{}").status, 409);
  EXPECT_EQ(hub_.post("/deployments/dep-none/abort", "{}").status, 404);
}

TEST_F(Rollouts, ADeadlineRollsBackAndSaysWhy) {
  start_fleet(2, "v1", "i-", Member::Obeys::never);
  const std::string id =
      post("/deployments", {{"service", "trading-engine"}, {"version", "v2"}, {"progress_deadline_seconds", 2}}, 201)["id"];
  ASSERT_TRUE(ends(id, "rolled_back"));
  const Json ended = rollout(id);
  EXPECT_NE(ended["reason"].get<std::string>().find("no progress in 2 s"), std::string::npos) << ended["reason"];
  EXPECT_EQ(versions(), (std::map<std::string, int>{{"v1", 2}}));
  EXPECT_TRUE(ended["held"].empty()) << "every instance back in rotation";
}

TEST_F(Rollouts, AnInstanceThatCannotUpgradeRollsBack) {
  start_fleet(2, "v1", "i-", Member::Obeys::fails_upgrades);
  const std::string id = post("/deployments", {{"service", "trading-engine"}, {"version", "v2"}}, 201)["id"];
  ASSERT_TRUE(ends(id, "rolled_back"));
  EXPECT_NE(rollout(id)["reason"].get<std::string>().find("missing library"), std::string::npos) << rollout(id)["reason"];
}

TEST_F(Rollouts, ARequestThatCannotRunIsRefusedAndNothingIsStored) {
  start_fleet(1, "v1");
  const auto refused = [&](const Json& body, int status, const std::string& says) {
    const HttpReply reply = hub_.post("/deployments", body.dump());
    EXPECT_EQ(reply.status, status) << body.dump();
    EXPECT_NE(reply.body.find(says), std::string::npos) << reply.body;
  };
  refused({{"service", "trading-engine"}}, 400, "version: required");
  refused({{"service", "trading-engine"}, {"version", "v2"}, {"strategy", "big_bang"}}, 400, "big_bang");
  refused({{"service", "trading-engine"}, {"version", "v2"}, {"batch_sise", 2}}, 400, "batch_sise");
  refused({{"service", "trading-engine"}, {"version", "v2"}, {"strategy", "canary"}, {"steps", {{{"weight", 120}}}}}, 400,
          "steps.0.weight");
  refused({{"service", "trading-engine"}, {"version", "v2"}, {"gates", {{"max_error_rate", "high"}}}}, 400, "gates.max_error_rate");
  refused({{"service", "trading-engine"}, {"version", "v2"}, {"batch_size", 0}}, 400, "batch_size");
  refused({{"service", "trading-engine"}, {"version", "v1"}}, 400, "nothing to roll out");
  refused({{"service", "no-such"}, {"version", "v2"}}, 404, "no registered instance");
  EXPECT_EQ(Json::parse(hub_.get("/deployments").body)["deployments"].size(), 0u);
  const std::string id =
      post("/deployments", {{"service", "trading-engine"}, {"version", "v2"}, {"progress_deadline_seconds", 60}}, 201)["id"];
  refused({{"service", "trading-engine"}, {"version", "v3"}}, 409, id);
}

TEST_F(Rollouts, DirectivesAreWatchedAndAcknowledgedByIndex) {
  start_fleet(1, "v1", "i-", Member::Obeys::never);
  const HttpReply idle = hub_.get("/directives/trading-engine/i-0?index=0&wait=1");
  EXPECT_EQ(idle.status, 200);
  EXPECT_FALSE(Json::parse(idle.body)["changed"].get<bool>());
  EXPECT_EQ(hub_.get("/directives/trading-engine/i-0?index=-1").status, 400);
  EXPECT_EQ(hub_.get("/directives/trading-engine/i-0?wait=100000").status, 400);
  std::string id = post("/deployments", {{"service", "trading-engine"}, {"version", "v2"}}, 201)["id"];
  const Json first = Json::parse(hub_.get("/directives/trading-engine/i-0?index=0&wait=10").body);
  ASSERT_TRUE(first["changed"].get<bool>()) << first.dump();
  EXPECT_EQ(first["directive"]["action"], "drain");
  const uint64_t drain = first["index"];
  const Json second = Json::parse(hub_.get("/directives/trading-engine/i-0?index=" + std::to_string(drain) + "&wait=10").body);
  ASSERT_EQ(second["directive"]["action"], "upgrade") << second.dump();
  EXPECT_EQ(second["directive"]["version"], "v2");
  EXPECT_EQ(hub_.post("/directives/trading-engine/i-0/ack", Json{{"index", drain}, {"status", "done"}}.dump()).status, 409)
      << "the drain is no longer its latest";
  EXPECT_EQ(hub_.post("/directives/trading-engine/i-9/ack", Json{{"index", drain}, {"status", "done"}}.dump()).status, 404);
  EXPECT_EQ(hub_.post("/directives/trading-engine/i-0/ack", Json{{"index", second["index"]}, {"status", "maybe"}}.dump()).status, 400);
  EXPECT_EQ(hub_.post("/directives/trading-engine/i-0/ack", Json{{"index", second["index"]}, {"status", "done"}}.dump()).status, 200);
  post("/deployments/" + id + "/abort", Json::object(), 200);
}

TEST(RolloutAlerts, ARollbackIsAnAlertWhereHealthAlertsGo) {
  testing::TestHub hub{
      testing::registry_options(testing::kLiveness, nullptr, "{backend: memory}", "health_monitoring: {check_interval_seconds: 60}\n")};
  Member member(hub.url(), "trading-engine", "i-0", "v1", 1, Member::Obeys::never);
  const HttpReply created =
      hub.post("/deployments", Json{{"service", "trading-engine"}, {"version", "v2"}, {"progress_deadline_seconds", 1}}.dump());
  ASSERT_EQ(created.status, 201) << created.body;
  ASSERT_TRUE(eventually([&] {
    const std::string alerts = hub.get("/health/alerts").body;
    return alerts.find("deployment_rolled_back") != std::string::npos;
  })) << hub.get("/health/alerts").body;
  const Json alerts = Json::parse(hub.get("/health/alerts").body)["alerts"];
  const auto rolling_back =
      std::find_if(alerts.begin(), alerts.end(), [](const Json& a) { return a["type"] == "deployment_rolling_back"; });
  ASSERT_NE(rolling_back, alerts.end()) << alerts.dump(2);
  EXPECT_EQ((*rolling_back)["status"], "degraded");
  EXPECT_NE((*rolling_back)["message"].get<std::string>().find("no progress"), std::string::npos) << rolling_back->dump();
}

TEST(RolloutSettings, TheManifestsSectionIsCheckedWhereItIsWritten) {
  const auto start = [](const std::string& section) {
    Hub hub(testing::registry_options(testing::kLiveness, nullptr, "{backend: memory}", section));
    hub.start();
  };
  EXPECT_THAT([&] { start("deployments: {strategies: {careful: my_rolling}}\n"); },
              ::testing::ThrowsMessage<ManifestError>(::testing::HasSubstr(
                  "registry-test.yaml:4:37: deployments.strategies.careful: 'my_rolling' is not an enabled deployment_coordinator")));
  EXPECT_THAT([&] { start("deployments: {progress_deadline_sec: 60}\n"); },
              ::testing::ThrowsMessage<ManifestError>(::testing::HasSubstr("deployments.progress_deadline_sec: unknown key")));
  EXPECT_THAT([&] { start("deployments: {gates: {min_calls: 0}}\n"); },
              ::testing::ThrowsMessage<ManifestError>(::testing::HasSubstr("deployments.gates.min_calls")));
}

TEST(RolloutSettings, AStrategyOfTheManifestRunsUnderItsOwnName) {
  // The built-in rolling with other defaults, enabled from the static library under an id of its own.
  const std::string libraries = std::string(testing::kLiveness) + R"(
    - library: deployment-coordinator
      enable: [{implementation: rolling, id: careful_rolling}]
)";
  testing::TestHub hub(testing::registry_options(libraries, nullptr, "{backend: memory}",
                                                 "deployments: {progress_deadline_seconds: 30, strategies: {careful: careful_rolling}}\n"));
  Member member(hub.url(), "trading-engine", "i-0", "v1", 1);
  const HttpReply created = hub.post(
      "/deployments", Json{{"service", "trading-engine"}, {"version", "v2"}, {"strategy", "careful"}, {"min_ready_seconds", 0}}.dump());
  ASSERT_EQ(created.status, 201) << created.body;
  const Json rollout = Json::parse(created.body);
  EXPECT_EQ(rollout["progress_deadline_seconds"], 30) << "the manifest's default";
  ASSERT_TRUE(
      eventually([&] { return Json::parse(hub.get("/deployments/" + rollout["id"].get<std::string>()).body)["phase"] == "succeeded"; }));
  EXPECT_EQ(member.upgrades(), 1);
}

TEST_F(Rollouts, AnInstanceCanFollowItsDirectivesOverAWebSocket) {
  start_fleet(1, "v1", "i-", Member::Obeys::never);
  Poco::Net::HTTPClientSession session("127.0.0.1", hub_->port());
  Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_GET, "/directives/trading-engine/i-0/stream",
                                 Poco::Net::HTTPMessage::HTTP_1_1);
  Poco::Net::HTTPResponse response;
  Poco::Net::WebSocket socket(session, request, response);
  socket.setReceiveTimeout(Poco::Timespan(10, 0));
  const std::string id = post("/deployments", {{"service", "trading-engine"}, {"version", "v2"}}, 201)["id"];
  const auto next = [&] {
    std::string buffer(1 << 16, '\0');
    int flags = 0;
    const int n = socket.receiveFrame(buffer.data(), static_cast<int>(buffer.size()), flags);
    return Json::parse(buffer.substr(0, static_cast<size_t>(std::max(n, 0))));
  };
  const Json drain = next();
  EXPECT_EQ(drain["action"], "drain");
  EXPECT_EQ(drain["deployment_id"], id);
  const Json upgrade = next();
  EXPECT_EQ(upgrade["action"], "upgrade");
  EXPECT_EQ(upgrade["version"], "v2");
  EXPECT_GT(upgrade["index"].get<uint64_t>(), drain["index"].get<uint64_t>());
  post("/deployments/" + id + "/abort", Json::object(), 200);
}

TEST(RolloutNats, DirectivesArePublishedOnNats) {
  const auto url = testing::test_nats_url();
  HUB_NEED_SERVER(url, "HUB_TEST_NATS_URL", "NATS server");
  natsConnection* connection = nullptr;
  natsSubscription* subscription = nullptr;
  ASSERT_EQ(natsConnection_ConnectTo(&connection, url->c_str()), NATS_OK);
  ASSERT_EQ(natsConnection_SubscribeSync(&subscription, connection, "rollouts.deployment.directive"), NATS_OK);
  ASSERT_EQ(natsConnection_Flush(connection), NATS_OK);
  {
    HubOptions options = testing::registry_options();
    options.manifest.events.nats = NatsSettings{*url, "rollouts"};
    testing::TestHub hub(std::move(options));
    Member member(hub.url(), "trading-engine", "i-0", "v1", 1, Member::Obeys::never);
    ASSERT_EQ(hub.post("/deployments", Json{{"service", "trading-engine"}, {"version", "v2"}}.dump()).status, 201);
    natsMsg* message = nullptr;
    ASSERT_EQ(natsSubscription_NextMsg(&message, subscription, 10000), NATS_OK) << "no directive on NATS within 10 s";
    const Json directive = Json::parse(std::string(natsMsg_GetData(message), natsMsg_GetDataLength(message)));
    natsMsg_Destroy(message);
    EXPECT_EQ(directive["instance_id"], "i-0");
    EXPECT_EQ(directive["action"], "drain");
  }
  natsSubscription_Destroy(subscription);
  natsConnection_Destroy(connection);
}

// kill -9 mid-rollout: the restarted hub (same SQLite file) resumes the rollout where it stood.
TEST(RolloutRestart, AHubKilledMidRolloutResumesIt) {
  const auto scratch = std::filesystem::temp_directory_path() / ("hub-rollout-kill-" + std::to_string(::getpid()));
  std::filesystem::remove_all(scratch);
  std::filesystem::create_directories(scratch);
  const uint16_t port = testing::free_port();
  const std::string yaml = "listen: 127.0.0.1:" + std::to_string(port) +
                           "\nstorage: {backend: sqlite, sqlite: {path: " + (scratch / "hub.db").string() +
                           "}}\nlogging: {level: warn}\nplugins:\n  search_paths: [" HUB_PLUGIN_DIR
                           "]\n  libraries:\n    - library: discovery\n      enable: [{implementation: liveness}]\n";
  auto hubd = std::make_unique<testing::HubdProcess>(scratch / "hub.yaml", yaml, port);
  std::vector<std::unique_ptr<Member>> fleet;
  for (int i = 0; i < 4; ++i)
    fleet.push_back(std::make_unique<Member>(hubd->url(), "trading-engine", "i-" + std::to_string(i), "v1", i + 1));
  HttpCallOptions body;
  body.body = Json{{"service", "trading-engine"}, {"version", "v2"}, {"batch_size", 1}, {"min_ready_seconds", 1}}.dump();
  const HttpReply created = http_call("POST", hubd->url() + "/deployments", body);
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string id = Json::parse(created.body)["id"];
  const auto read = [&] { return Json::parse(http_call("GET", hubd->url() + "/deployments/" + id).body); };
  ASSERT_TRUE(eventually([&] { return read()["batches_done"] >= 1; })) << read().dump(2);
  hubd->kill();
  hubd = std::make_unique<testing::HubdProcess>(scratch / "hub.yaml", yaml, port);
  ASSERT_TRUE(eventually([&] { return read()["phase"] != "progressing"; }, 60s)) << read().dump(2);
  const Json ended = read();
  EXPECT_EQ(ended["phase"], "succeeded") << ended.dump(2);
  EXPECT_EQ(ended["batches_done"], 4);
  for (const auto& member : fleet) EXPECT_EQ(member->upgrades(), 1) << "no instance was upgraded twice";
  fleet.clear();
  hubd.reset();
  std::filesystem::remove_all(scratch);
}

}  // namespace
}  // namespace hub
