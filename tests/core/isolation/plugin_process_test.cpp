// isolation: process end to end: a plugin library in a hub-plugin-host of its
// own, its probe and discovery hooks through the same ABI, its logs and
// metrics forwarded, and a null dereference in check() becoming a down
// target, an alert, a degraded /health and a restarted host.
#include "support/log_capture.hpp"

#include <hub/errors.hpp>
#include <hub/testing.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <unistd.h>

#include <cstdlib>
#include <thread>

using nlohmann::json;
using testing::AllOf;
using testing::HasSubstr;
using testing::StartsWith;
using namespace std::chrono_literals;

namespace {

// The child is built with the suite's sanitizers: ASan would turn its signal 11 into an exit status,
// so the host is told to leave segfaults to the kernel, as a production build does.
void let_segfaults_be_signals() {
  const char* options = std::getenv("ASAN_OPTIONS");
  ::setenv("ASAN_OPTIONS", ((options ? std::string(options) + ":" : std::string()) + "handle_segv=0").c_str(), 1);
}

hub::HubOptions isolated(const std::string& health_yaml, const std::string& enable, std::shared_ptr<hub::ManualClock> clock) {
  hub::HubOptions options = hub::testing::test_options();
  options.manifest = hub::parse_manifest("listen: 127.0.0.1:0\nstorage: {backend: memory}\nlogging: {level: info}\n" + health_yaml +
                                             "plugins:\n  search_paths: [" HUB_FIXTURE_DIR
                                             "]\n  libraries:\n"
                                             "    - library: crashing-probe\n      isolation: process\n      enable: " +
                                             enable + "\n",
                                         "isolated.yaml", ".");
  options.clock = std::move(clock);
  options.health_scheduler_thread = false;
  return options;
}

const std::string kProbe = "[{implementation: crashy, config: {greeting: hello}}]";

class Isolation : public testing::Test {
 protected:
  void SetUp() override { let_segfaults_be_signals(); }
  std::shared_ptr<hub::ManualClock> clock_ = std::make_shared<hub::ManualClock>();
  std::shared_ptr<hub::testing::LogCapture> log_ = std::make_shared<hub::testing::LogCapture>();
};

json infrastructure(const hub::testing::TestHub& hub, const std::string& name) {
  return json::parse(hub.get("/health/infrastructure").body)[name];
}

// Polls `condition` (reading the hub's API) until it holds or 20 s pass.
template <class Condition>
bool eventually(Condition condition) {
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(20ms);  // polling a condition, bounded by the deadline
  }
  return true;
}

TEST_F(Isolation, AProbeRunsInItsOwnProcessAndItsLogsAndMetricsComeBack) {
  hub::HubOptions options = isolated("health_monitoring:\n  infrastructure:\n    - {name: fine, probe: crashy}\n", kProbe, clock_);
  options.log_lines = log_->sink();
  hub::testing::TestHub hub(std::move(options));
  ASSERT_EQ(hub->run_health_checks(), 1);
  const json fine = infrastructure(hub, "fine");
  EXPECT_EQ(fine["status"], "healthy") << fine.dump();
  EXPECT_THAT(fine["last_message"].get<std::string>(), StartsWith("hello from pid "));
  EXPECT_NE(fine["last_message"], "hello from pid " + std::to_string(::getpid())) << "the hub's own process answered";
  EXPECT_TRUE(log_->wait_for("[crashy] checking fine")) << log_->all();
  EXPECT_EQ(hub->metrics().value("crashy_checks_total"), 1);
  const json health = json::parse(hub.get("/health").body);
  EXPECT_EQ(health["plugins"][0]["isolation"], "process");
  EXPECT_EQ(health["plugins"][0]["status"], "loaded");
  const json plugins = json::parse(hub.get("/plugins").body);
  EXPECT_EQ(plugins["plugins"][0]["name"], "crashing-probe");
  EXPECT_EQ(plugins["plugins"][0]["version"], "1.0.0");
}

TEST_F(Isolation, ANullDereferenceInCheckIsADownTargetAnAlertADegradedHubAndARestartedHost) {
  hub::HubOptions options = isolated(
      "health_monitoring:\n  fall: 1\n  rise: 1\n  infrastructure:\n    - {name: crash-me, probe: crashy, interval_seconds: 3600}\n"
      "    - {name: fine, probe: crashy}\n",
      kProbe, clock_);
  options.log_lines = log_->sink();
  hub::testing::TestHub hub(std::move(options));
  std::vector<std::string> alerts;
  std::mutex mutex;
  const uint64_t subscription = hub->events().subscribe([&](const hub::Event& event) {
    std::lock_guard lock(mutex);
    if (event.topic.rfind("alert.", 0) == 0) alerts.push_back(event.topic + " " + event.json);
  });

  hub->run_health_checks();
  const json crashed = infrastructure(hub, "crash-me");
  EXPECT_EQ(crashed["status"], "down");
  EXPECT_THAT(crashed["error_message"].get<std::string>(), StartsWith("plugin crashed: signal 11"));
  const auto crash_alerted = [&] {
    std::lock_guard lock(mutex);
    return std::any_of(alerts.begin(), alerts.end(), [](const std::string& alert) {
      return alert.starts_with("alert.plugin_crashed ") && alert.find("\"name\":\"crashing-probe\"") != std::string::npos &&
             alert.find("\"message\":\"plugin crashed: signal 11") != std::string::npos;
    });
  };
  EXPECT_TRUE(eventually(crash_alerted));
  EXPECT_TRUE(log_->wait_for("plugin crashed: signal 11")) << log_->all();
  EXPECT_EQ(hub->metrics().value("hub_plugin_crashes_total", {{"library", "crashing-probe"}}), 1);

  // The host comes back by itself and the healthy target is checked in it again.
  ASSERT_TRUE(eventually([&] { return json::parse(hub.get("/health").body)["plugins"][0]["status"] == "loaded"; }))
      << hub.get("/health").body;
  const json health = json::parse(hub.get("/health").body);
  EXPECT_EQ(health["status"], "healthy");
  EXPECT_THAT(health["plugins"][0]["message"].get<std::string>(), HasSubstr("restarted 1 time(s)"));
  clock_->advance(61s);  // fine is due again; crash-me, on its hour, is not
  EXPECT_EQ(hub->run_health_checks(), 1);
  EXPECT_EQ(infrastructure(hub, "fine")["status"], "healthy") << infrastructure(hub, "fine").dump();
  hub->events().unsubscribe(subscription);
}

TEST_F(Isolation, WhileTheHostIsDownChecksAreDownAndHubDegraded) {
  hub::HubOptions options =
      isolated("health_monitoring:\n  fall: 1\n  infrastructure:\n    - {name: crash-now, probe: crashy}\n", kProbe, clock_);
  hub::testing::TestHub hub(std::move(options));
  hub->run_health_checks();  // crashes the host; it restarts after 0.1 s, and crashes again at each check
  bool saw_degraded = false;
  for (int round = 0; round < 3 && !saw_degraded; ++round) {
    clock_->advance(61s);
    hub->run_health_checks();
    const json health = json::parse(hub.get("/health").body);
    saw_degraded = health["status"] == "degraded" && health["plugins"][0]["status"] == "degraded";
  }
  EXPECT_TRUE(saw_degraded);
  EXPECT_THAT(infrastructure(hub, "crash-now")["error_message"].get<std::string>(), StartsWith("plugin crashed: signal 11"));
}

TEST_F(Isolation, AHungCheckHoldsAHostThreadAndNoHubThread) {
  hub::testing::TestHub hub(
      isolated("health_monitoring:\n  timeout_ms: 200\n  fall: 1\n  infrastructure:\n    - {name: hang-forever, probe: crashy}\n    - "
               "{name: fine, probe: crashy}\n",
               kProbe, clock_));
  for (int round = 0; round < 3; ++round) {
    clock_->advance(61s);
    hub->run_health_checks();
  }
  EXPECT_EQ(infrastructure(hub, "hang-forever")["error_message"], "timed out after 200 ms");
  EXPECT_EQ(infrastructure(hub, "fine")["status"], "healthy") << infrastructure(hub, "fine").dump();
  EXPECT_EQ(json::parse(hub.get("/health/scheduler").body)["stuck_threads"], 0);
}

TEST_F(Isolation, ADiscoverySourceAndItsLivenessPolicyWorkAcrossTheProcess) {
  hub::testing::TestHub hub(isolated("", "[{implementation: listed, config: {service: quotes, port: 9100}}]", clock_));
  ASSERT_TRUE(eventually([&] { return hub.get("/services/quotes").status == 200; }));
  EXPECT_THAT(hub.get("/discover/quotes").body, HasSubstr("\"url\":\"http://10.1.2.3:9100\""));
  ASSERT_EQ(hub.post("/register", R"({"service_name": "ticker", "host": "10.0.0.9", "port": 1})").status, 201);
  clock_->advance(6s);
  EXPECT_EQ(hub->run_liveness_pass(), 1);  // asked across the process: silent 6 s, over the policy's 5 s
  EXPECT_THAT(hub.get("/services/ticker").body, HasSubstr("\"status\":\"down\""));
}

TEST_F(Isolation, WhatAHostCannotRunOrLoadIsRefusedAtStartSayingWhy) {
  EXPECT_THAT([&] { hub::testing::TestHub hub(isolated("", "[{implementation: nothing}]", clock_)); },
              testing::ThrowsMessage<hub::PluginError>(HasSubstr("isolation: process runs health_probe and discovery implementations; "
                                                                 "'nothing' is a load_balancer")));
  EXPECT_THAT([&] { hub::testing::TestHub hub(isolated("", "[{implementation: crashy, config: {greting: hi}}]", clock_)); },
              testing::ThrowsMessage<hub::ManifestError>(
                  HasSubstr("config.greting: unknown key for implementation 'crashy' (expected one of: greeting)")));
  hub::HubOptions options = isolated("", kProbe, clock_);
  options.manifest.plugins[0].library = HUB_FIXTURE_DIR "/not-a-library.so";
  EXPECT_THAT([&] { hub::testing::TestHub hub(std::move(options)); },
              testing::ThrowsMessage<hub::PluginError>(AllOf(HasSubstr("not-a-library.so: cannot load"), HasSubstr("isolated.yaml:"))));
}

}  // namespace
