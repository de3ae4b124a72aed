// Health monitoring end to end in a hub: flap damping and one alert per
// transition driven by a ManualClock, the registry serving the probes'
// verdict, a hung probe held to its deadline, webhooks retried, uptime and the
// API's shapes. The probe here is scripted by the test through the real ABI.
#ifndef HUB_PLUGIN_STATIC  // health_probe_static already defines it
#define HUB_PLUGIN_STATIC
#endif
#include <hub/plugin.hpp>

#include "discovery_plugin.hpp"
#include "health_probe_plugin.hpp"
#include "support/eventually.hpp"
#include "support/scripted_server.hpp"
#include "support/storage_backend.hpp"
#include "support/test_ca.hpp"
#include "support/tls_receiver.hpp"

#include <hub/errors.hpp>
#include <hub/testing.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <numeric>
#include <thread>

using hub::testing::ScriptedServer;
using nlohmann::json;
using testing::ElementsAre;
using testing::HasSubstr;
using testing::StartsWith;
using namespace std::chrono_literals;

namespace {

// What the scripted probe answers next, per target name; set by the test.
struct Script {
  std::mutex mutex;
  std::condition_variable released;
  std::map<std::string, hub_health> status;
  std::map<std::string, int64_t> latency_us;
  std::set<std::string> hang;  // check() blocks until the target leaves this set
  std::atomic<int> checks{0};
};
Script script;

class ScriptedProbe {
 public:
  explicit ScriptedProbe(const hub::Context&) {}
  hub::ProbeResult check(const hub::ProbeTarget& target, hub::Deadline) {
    const std::string name(target.name());
    ++script.checks;
    std::unique_lock lock(script.mutex);
    script.released.wait(lock, [&] { return !script.hang.count(name); });
    const hub_health status = script.status.count(name) ? script.status[name] : HUB_HEALTH_HEALTHY;
    const int64_t latency = script.latency_us.count(name) ? script.latency_us[name] : 1000;
    return {status, latency, "scripted " + std::to_string(status)};
  }
};

HUB_PLUGIN(scripted_probe_plugin, "scripted-probe", "1.0.0", "A probe the test scripts", HUB_HEALTH_PROBE("scripted", ScriptedProbe))

void set_status(const std::string& name, hub_health status, int64_t latency_us = 1000) {
  std::lock_guard lock(script.mutex);
  script.status[name] = status;
  script.latency_us[name] = latency_us;
}

const std::string kProbes = R"(
    - library: discovery
      enable:
        - implementation: liveness
          config: {service_timeout_seconds: 90}
    - library: scripted-probe
      enable:
        - implementation: scripted
          id: scripted
)";

hub::HubOptions monitored(const std::string& health_yaml, std::shared_ptr<hub::ManualClock> clock,
                          const std::string& storage = "{backend: memory}") {
  hub::HubOptions options = hub::testing::test_options();
  options.manifest = hub::parse_manifest(
      "listen: 127.0.0.1:0\nstorage: " + storage + "\nlogging: {level: error}\n" + health_yaml + "\nplugins:\n  libraries:\n" + kProbes,
      "health-test.yaml", ".");
  options.static_plugins.push_back({"discovery", &discovery_plugin});
  options.static_plugins.push_back({"scripted-probe", &scripted_probe_plugin});
  options.clock = clock;
  options.health_scheduler_thread = clock == nullptr;
  options.housekeeping_interval = std::chrono::hours(1);  // the test flushes when it wants
  return options;
}

using hub::testing::Backend;

// Every test runs on memory, SQLite and PostgreSQL alike.
class HealthMonitoring : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    HUB_NEED_BACKEND(GetParam());
    store_ = std::make_unique<hub::testing::ScratchStore>(GetParam());
    std::lock_guard lock(script.mutex);
    script.status.clear();
    script.latency_us.clear();
    script.hang.clear();
  }
  void start(const std::string& health_yaml) {
    hub_ = std::make_unique<hub::testing::TestHub>(monitored(health_yaml, clock_, store_->yaml()));
    events_ = (*hub_)->events().subscribe([this](const hub::Event& event) {
      if (event.topic.rfind("alert.", 0) != 0) return;
      std::lock_guard lock(mutex_);
      alert_topics_.push_back(event.topic);
    });
  }
  void TearDown() override {
    if (hub_) (*hub_)->events().unsubscribe(events_);
  }
  // One round: the clock moves by the interval, every due check runs.
  int round(std::chrono::seconds interval = 10s) {
    clock_->advance(interval);
    return (*hub_)->run_health_checks();
  }
  json get_json(const std::string& path) {
    const hub::HttpReply reply = hub_->get(path);
    EXPECT_EQ(reply.status, 200) << path << ": " << reply.body;
    return json::parse(reply.body);
  }
  std::vector<std::string> alert_topics() {
    std::lock_guard lock(mutex_);
    return alert_topics_;
  }

  std::shared_ptr<hub::ManualClock> clock_ = std::make_shared<hub::ManualClock>();
  std::unique_ptr<hub::testing::ScratchStore> store_;
  std::unique_ptr<hub::testing::TestHub> hub_;
  uint64_t events_ = 0;
  std::mutex mutex_;
  std::vector<std::string> alert_topics_;
};

const std::string kDatabase = R"(health_monitoring:
  check_interval_seconds: 10
  rise: 2
  fall: 3
  infrastructure:
    - {name: postgresql, probe: scripted, host: 127.0.0.1, port: 5432}
)";

}  // namespace

TEST_P(HealthMonitoring, FlapDampingConfirmsAfterFallAndRiseWithOneAlertPerTransition) {
  start(kDatabase);
  EXPECT_EQ(round(), 1);
  EXPECT_EQ(get_json("/health/infrastructure")["postgresql"]["status"], "healthy");

  set_status("postgresql", HUB_HEALTH_DOWN);
  round();
  round();  // two failures: a blip, not yet down
  json infrastructure = get_json("/health/infrastructure")["postgresql"];
  EXPECT_EQ(infrastructure["status"], "healthy");
  EXPECT_EQ(infrastructure["last_result"], "down");
  EXPECT_TRUE(alert_topics().empty());

  round();  // the third confirms it
  infrastructure = get_json("/health/infrastructure")["postgresql"];
  EXPECT_EQ(infrastructure["status"], "down");
  EXPECT_EQ(infrastructure["error_message"], "scripted 3");
  EXPECT_TRUE(infrastructure["response_time_ms"].is_number());
  EXPECT_THAT(alert_topics(), testing::ElementsAre("alert.infrastructure_down"));
  for (int i = 0; i < 5; ++i) round();
  EXPECT_EQ(alert_topics().size(), 1u) << "one alert per transition, not one per check";

  set_status("postgresql", HUB_HEALTH_HEALTHY);
  round();
  set_status("postgresql", HUB_HEALTH_DOWN);
  round();  // an interrupted recovery starts over
  set_status("postgresql", HUB_HEALTH_HEALTHY);
  round();
  EXPECT_EQ(get_json("/health/infrastructure")["postgresql"]["status"], "down");
  round();
  EXPECT_EQ(get_json("/health/infrastructure")["postgresql"]["status"], "healthy");
  EXPECT_THAT(alert_topics(), testing::ElementsAre("alert.infrastructure_down", "alert.infrastructure_recovered"));

  const json alerts = get_json("/health/alerts")["alerts"];
  ASSERT_EQ(alerts.size(), 2u);
  EXPECT_EQ(alerts[0]["type"], "infrastructure_down");
  EXPECT_EQ(alerts[0]["name"], "postgresql");
  EXPECT_EQ(alerts[0]["previous_status"], "healthy");
  EXPECT_EQ(alerts[1]["status"], "healthy");
}

TEST_P(HealthMonitoring, EachTargetKeepsItsOwnInterval) {
  start(R"(health_monitoring:
  check_interval_seconds: 60
  infrastructure:
    - {name: nats, probe: scripted, port: 4222, interval_seconds: 10}
    - {name: kafka, probe: scripted, port: 9092}
)");
  EXPECT_EQ(round(0s), 2);  // both at once at start
  int nats_only = 0;
  for (int i = 0; i < 5; ++i) nats_only += round(10s);
  EXPECT_EQ(nats_only, 5);
  EXPECT_EQ(round(10s), 2);  // 60 s in: kafka's turn too
}

TEST_P(HealthMonitoring, LatencyOverTheThresholdIsDegradedAndAlertedOnceEachWay) {
  start(R"(health_monitoring:
  check_interval_seconds: 10
  fall: 2
  rise: 2
  degraded_latency_ms: 100
  infrastructure:
    - {name: clickhouse, probe: scripted, port: 8123}
)");
  round();
  set_status("clickhouse", HUB_HEALTH_HEALTHY, 250'000);
  round();
  round();
  const json clickhouse = get_json("/health/infrastructure")["clickhouse"];
  EXPECT_EQ(clickhouse["status"], "degraded");
  EXPECT_THAT(clickhouse["error_message"].get<std::string>(), HasSubstr("latency 250 ms is over the 100 ms threshold"));
  round();
  set_status("clickhouse", HUB_HEALTH_HEALTHY, 5'000);
  round();
  round();
  EXPECT_EQ(get_json("/health/infrastructure")["clickhouse"]["status"], "healthy");
  EXPECT_THAT(alert_topics(), testing::ElementsAre("alert.latency_exceeded", "alert.latency_recovered"));
}

TEST_P(HealthMonitoring, InstancesWithAHealthEndpointAreCheckedAndDiscoveryServesTheVerdict) {
  start(R"(health_monitoring:
  check_interval_seconds: 10
  fall: 2
  service_probe: scripted
)");
  ASSERT_EQ(hub_->post("/register", R"({"name": "api-gateway", "host": "10.0.0.5", "port": 8000, "health_endpoint": "/health"})").status,
            201);
  ASSERT_EQ(hub_->post("/register", R"({"name": "batch-job", "host": "10.0.0.6", "port": 8000})").status, 201);
  EXPECT_EQ((*hub_)->run_health_checks(), 0) << "a new instance's first check is spread over the first 10 s";
  EXPECT_EQ(round(), 1) << "only the instance with a health endpoint is checked";
  json services = get_json("/health/services");
  EXPECT_EQ(services["api-gateway"]["status"], "healthy");
  EXPECT_TRUE(services["api-gateway"]["latency"].is_number());
  EXPECT_TRUE(services["api-gateway"]["last_check"].is_string());
  EXPECT_EQ(services["batch-job"]["latency"], nullptr);  // heartbeats only

  set_status("api-gateway", HUB_HEALTH_DOWN);
  round();
  round();
  EXPECT_EQ(get_json("/services/api-gateway")["instances"][0]["status"], "down");
  // The instance still says it is healthy; the checks' verdict wins until they pass.
  EXPECT_EQ(hub_->post("/heartbeat", R"({"service_name": "api-gateway", "status": "healthy"})").status, 200);
  EXPECT_EQ(get_json("/services/api-gateway")["instances"][0]["status"], "down");
  EXPECT_EQ(hub_->get("/discover/api-gateway").status, 503);
  const json detail = get_json("/health/services/api-gateway");
  EXPECT_EQ(detail["service_name"], "api-gateway");  // the same word as every other answer
  EXPECT_EQ(detail["instances"][0]["check"]["status"], "down");
  EXPECT_EQ(detail["instances"][0]["history"].size(), 3u);
  EXPECT_THAT(alert_topics(), testing::ElementsAre("alert.service_down"));

  set_status("api-gateway", HUB_HEALTH_HEALTHY);
  round();
  round();
  EXPECT_EQ(get_json("/services/api-gateway")["instances"][0]["status"], "healthy");
  EXPECT_THAT(alert_topics(), testing::ElementsAre("alert.service_down", "alert.service_recovered"));
  EXPECT_EQ(hub_->get("/health/services/nobody").status, 404);
}

TEST_P(HealthMonitoring, AHungProbeIsDownAtItsDeadlineAndDoesNotStarveTheOthers) {
  start(R"(health_monitoring:
  check_interval_seconds: 10
  fall: 1
  timeout_ms: 200
  max_concurrent_checks: 1
  infrastructure:
    - {name: stuck, probe: scripted, port: 1}
    - {name: fine, probe: scripted, port: 2}
)");
  {
    std::lock_guard lock(script.mutex);
    script.hang.insert("stuck");
  }
  const auto started = std::chrono::steady_clock::now();
  EXPECT_EQ(round(), 1);  // one at a time
  EXPECT_EQ(round(0s), 1);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 5s);
  const json infrastructure = get_json("/health/infrastructure");
  EXPECT_EQ(infrastructure["stuck"]["status"], "down");
  EXPECT_EQ(infrastructure["stuck"]["error_message"], "timed out after 200 ms");
  EXPECT_EQ(infrastructure["fine"]["status"], "healthy");
  EXPECT_EQ(get_json("/health/scheduler")["stuck_threads"], 1);
  {
    std::lock_guard lock(script.mutex);
    script.hang.clear();
  }
  script.released.notify_all();
}

// The threads of this process, as the kernel counts them.
size_t thread_count() {
  size_t count = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator("/proc/self/task")) ++count;
  return count;
}

TEST_P(HealthMonitoring, HungProbesHoldAtMostTheCapOfStandInThreadsAndAreThenReportedStuck) {
  start(R"(health_monitoring:
  check_interval_seconds: 1
  fall: 1
  timeout_ms: 100
  max_concurrent_checks: 4
  max_stuck_threads: 3
  infrastructure:
    - {name: hung-a, probe: scripted, port: 1}
    - {name: hung-b, probe: scripted, port: 2}
)");
  {
    std::lock_guard lock(script.mutex);
    script.hang = {"hung-a", "hung-b"};
  }
  const size_t threads_before = thread_count();
  for (int i = 0; i < 30; ++i) round(1s);  // 60 checks of two targets that never answer
  const size_t threads_after = thread_count();
  EXPECT_LE(threads_after, threads_before + 3) << "at most max_stuck_threads threads stand in for stuck ones";
  const json infrastructure = get_json("/health/infrastructure");
  EXPECT_EQ(infrastructure["hung-a"]["status"], "down");
  EXPECT_THAT(infrastructure["hung-a"]["error_message"].get<std::string>(), StartsWith("probe stuck: "));
  const json health = get_json("/health");
  EXPECT_EQ(health["status"], "degraded");
  EXPECT_EQ(health["plugins"][1]["status"], "degraded") << health.dump();
  EXPECT_THAT(health["plugins"][1]["message"].get<std::string>(), HasSubstr("stuck inside check() past their deadline"));

  // Once the probe returns, its threads come back and its checks run again.
  {
    std::lock_guard lock(script.mutex);
    script.hang.clear();
  }
  script.released.notify_all();
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (get_json("/health/scheduler")["stuck_threads"] != 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(10ms);  // polling a condition, bounded by the deadline
  EXPECT_EQ(get_json("/health")["status"], "healthy");
  round(1s);
  EXPECT_EQ(get_json("/health/infrastructure")["hung-a"]["last_result"], "healthy");
}

TEST_P(HealthMonitoring, AlertsArePostedToWebhooksAndRetriedAfterAFailure) {
  std::mutex mutex;
  std::condition_variable arrived;
  std::vector<std::string> bodies;
  std::atomic<int> attempts{0};
  ScriptedServer receiver([&](int fd) {
    const std::string head = ScriptedServer::read_until(fd, "\r\n\r\n");
    const size_t at = head.find("Content-Length: ");
    const std::string body = ScriptedServer::read_exact(fd, std::stoul(head.substr(at + 16)));
    if (attempts++ == 0) {
      ScriptedServer::send_all(fd, "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
      return;
    }
    ScriptedServer::send_all(fd, "HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n");
    std::lock_guard lock(mutex);
    bodies.push_back(body);
    arrived.notify_all();
  });
  start(kDatabase + "  alerts:\n    webhooks:\n      - {url: \"http://127.0.0.1:" + std::to_string(receiver.port()) +
        "/hooks/hub\", first_backoff_ms: 20, max_attempts: 3}\n");
  set_status("postgresql", HUB_HEALTH_DOWN);
  round();  // unknown -> down at once: an alert
  std::unique_lock lock(mutex);
  ASSERT_TRUE(arrived.wait_for(lock, 10s, [&] { return !bodies.empty(); })) << "no delivery after " << attempts << " attempt(s)";
  EXPECT_EQ(attempts, 2);
  const json alert = json::parse(bodies[0]);
  EXPECT_EQ(alert["type"], "infrastructure_down");
  EXPECT_EQ(alert["name"], "postgresql");
  EXPECT_EQ(alert["status"], "down");
}

TEST_P(HealthMonitoring, AlertsReachAnHttpsWebhookOnlyWhenItsCertificateIsVerified) {
  hub::testing::TestCa ca("webhook");
  hub::testing::TlsReceiver receiver(ca.issue("receiver", "receiver"));
  const std::string base = "https://127.0.0.1:" + std::to_string(receiver.port());
  start(kDatabase + "  alerts:\n    webhooks:\n      - {url: \"" + base + "/trusted\", ca_file: " + ca.ca().string() +
        ", first_backoff_ms: 20, max_attempts: 2}\n      - {url: \"" + base + "/unverified\", first_backoff_ms: 20, max_attempts: 1}\n");
  set_status("postgresql", HUB_HEALTH_DOWN);
  round();
  const auto requests = receiver.requests(1, 10s);
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0], "POST /trusted HTTP/1.1");  // the other sink's peer is not one the system's CAs vouch for
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (hub_->get("/metrics").body.find("hub_alert_webhooks_failed_total 1") == std::string::npos &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(10ms);  // polling a condition, bounded by the deadline
  EXPECT_NE(hub_->get("/metrics").body.find("hub_alert_webhooks_failed_total 1"), std::string::npos);
}

TEST_P(HealthMonitoring, ResultsReachTheSeedsTablesAndUptimeIsComputedFromThem) {
  start(kDatabase + "  service_probe: scripted\n");
  ASSERT_EQ(hub_->post("/register", R"({"name": "api-gateway", "host": "10.0.0.5", "port": 8000, "health_endpoint": "/health"})").status,
            201);
  round();  // the database's first check; the instance is seen
  round();
  set_status("api-gateway", HUB_HEALTH_DOWN);
  round();
  round();
  set_status("postgresql", HUB_HEALTH_DOWN);
  round();
  const json uptime = get_json("/health/uptime?window=1h");
  EXPECT_EQ(uptime["window_seconds"], 3600);
  // The seed's uptime counts every row with a status: the registration's heartbeat sample is not one; four checks are.
  EXPECT_EQ(uptime["services"]["api-gateway"]["total"], 4);
  EXPECT_EQ(uptime["services"]["api-gateway"]["healthy"], 1);
  EXPECT_EQ(uptime["services"]["api-gateway"]["uptime_pct"], 25.0);
  EXPECT_EQ(hub_->get("/health/uptime?window=soon").status, 400);
  hub_.reset();
  if (!store_->durable()) return;
  // Each of the database's five results is a row, read as an operator would; only a failing one carries a message.
  EXPECT_THAT(store_->column("SELECT status || '|' || COALESCE(error_message, 'none') FROM infrastructure_status "
                             "WHERE component_name = 'postgresql' ORDER BY id"),
              ElementsAre("healthy|none", "healthy|none", "healthy|none", "healthy|none", StartsWith("down|scripted")));
}

// The dashboard's charts: stored checks summed per bucket of the window, per component or for one service.
TEST_P(HealthMonitoring, TrendsSumTheStoredChecksPerBucket) {
  start(kDatabase + "  service_probe: scripted\n");
  ASSERT_EQ(hub_->post("/register", R"({"name": "api-gateway", "host": "10.0.0.5", "port": 8000, "health_endpoint": "/health"})").status,
            201);
  round();
  round();
  set_status("api-gateway", HUB_HEALTH_DOWN);
  round();
  round();
  const auto sum = [](const json& points, const char* field) {
    int64_t total = 0;
    for (const json& point : points) total += point[field].get<int64_t>();
    return total;
  };
  const json service = get_json("/health/services/api-gateway/trend?window=1h");
  EXPECT_EQ(service["window_seconds"], 3600);
  EXPECT_EQ(service["bucket_seconds"], 60);
  ASSERT_EQ(service["series"].size(), 1u) << service.dump();      // one service, and no heartbeat sample counted
  EXPECT_EQ(sum(service["series"]["api-gateway"], "checks"), 3);  // the first round only finds the instance
  EXPECT_EQ(sum(service["series"]["api-gateway"], "healthy"), 1);
  for (const json& point : service["series"]["api-gateway"]) {
    EXPECT_GE(point["max_latency_ms"].get<double>(), point["mean_latency_ms"].get<double>());
    EXPECT_TRUE(point["at"].is_string());
  }
  const json components = get_json("/health/infrastructure/trend?window=10m");
  EXPECT_EQ(components["bucket_seconds"], 10);
  EXPECT_EQ(sum(components["series"]["postgresql"], "checks"), 4);
  EXPECT_EQ(sum(components["series"]["postgresql"], "healthy"), 4);
  EXPECT_FALSE(components["series"].contains("api-gateway"));
  EXPECT_TRUE(get_json("/health/services/no-such-service/trend")["series"].empty());
  EXPECT_EQ(hub_->get("/health/infrastructure/trend?window=soon").status, 400);
  EXPECT_EQ(hub_->get("/health/infrastructure/trend?window=8d").status, 400);
}

INSTANTIATE_TEST_SUITE_P(Backends, HealthMonitoring, hub::testing::kAllBackends, hub::testing::backend_label);

TEST(HealthMonitoringConfig, UnknownProbesAndKeysAreRefusedWithWhere) {
  EXPECT_THAT(
      [] { hub::testing::TestHub hub(monitored("health_monitoring: {service_probe: nothing}", nullptr)); },
      testing::ThrowsMessage<hub::ManifestError>(HasSubstr("health_monitoring.service_probe: 'nothing' is not an enabled health_probe")));
  EXPECT_THAT(
      [] { monitored("health_monitoring:\n  infrastructure:\n    - {name: db, probe: scripted, intervall_seconds: 5}\n", nullptr); },
      testing::ThrowsMessage<hub::ManifestError>(HasSubstr("health_monitoring.infrastructure[0].intervall_seconds: unknown key")));
  EXPECT_THAT([] { monitored("health_monitoring: {rise: 0}", nullptr); },
              testing::ThrowsMessage<hub::ManifestError>(HasSubstr("health_monitoring.rise: must be between 1 and 100")));
  EXPECT_THAT([] { monitored("health_monitoring:\n  alerts: {webhooks: [{url: \"ftp://x\"}]}\n", nullptr); },
              testing::ThrowsMessage<hub::ManifestError>(HasSubstr("expected http://HOST:PORT/PATH")));
}

TEST(HealthMonitoringOff, EveryHealthRouteSaysItIsNotEnabled) {
  hub::testing::TestHub hub;
  const hub::HttpReply reply = hub.get("/health/infrastructure");
  EXPECT_EQ(reply.status, 501);
  EXPECT_THAT(reply.body, HasSubstr("health monitoring is not enabled"));
}

TEST(HealthMonitoringLive, TheSchedulerChecksARealTargetOnItsOwn) {
  ScriptedServer listener(&ScriptedServer::hang);
  hub::HubOptions options = hub::testing::test_options();
  options.manifest = hub::parse_manifest(
      "listen: 127.0.0.1:0\nstorage: {backend: memory}\nlogging: {level: error}\nhealth_monitoring:\n  check_interval_seconds: 1\n"
      "  infrastructure:\n    - {name: redis, probe: tcp, port: " +
          std::to_string(listener.port()) +
          "}\nplugins:\n  libraries:\n    - library: health-probe\n      enable:\n        - {implementation: tcp}\n",
      "live.yaml", ".");
  options.static_plugins.push_back({"health-probe", &health_probe_plugin});
  hub::testing::TestHub hub(std::move(options));
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  json redis;
  while (std::chrono::steady_clock::now() < deadline) {
    redis = json::parse(hub.get("/health/infrastructure").body)["redis"];
    if (redis["status"] == "healthy") break;
    std::this_thread::sleep_for(20ms);  // polling a condition, bounded by the deadline
  }
  EXPECT_EQ(redis["status"], "healthy");
  EXPECT_GE(json::parse(hub.get("/health/scheduler").body)["checks"].get<int>(), 1);
}

// Three hubs on one PostgreSQL share the checks out by consistent hashing: each target is checked
// by one hub, every hub serves the verdict, and when a hub leaves the others take its targets over
// at once, from the verdict it stored, without alerting the same change again.
class ClusterHealthChecks : public ::testing::Test {
 protected:
  static constexpr int kTargets = 30;
  void SetUp() override {
    HUB_NEED_BACKEND(Backend::postgres);
    store_ = std::make_unique<hub::testing::ScratchStore>(Backend::postgres);
    {
      std::lock_guard lock(script.mutex);
      script.status.clear();
      script.latency_us.clear();
      script.hang.clear();
    }
    for (int i = 0; i < 3; ++i) {
      hubs_.push_back(std::make_unique<hub::testing::TestHub>(
          monitored("health_monitoring: {check_interval_seconds: 10, fall: 1, rise: 1, service_probe: scripted}", clock_, store_->yaml())));
      subscriptions_.push_back((*hubs_.back())->events().subscribe([this](const hub::Event& event) {
        if (event.topic != "alert.service_down") return;
        std::lock_guard lock(mutex_);
        ++downs_;
      }));
    }
  }
  void TearDown() override {
    for (size_t i = 0; i < hubs_.size(); ++i)
      if (hubs_[i]) (*hubs_[i])->events().unsubscribe(subscriptions_[i]);
  }
  json cluster_of(size_t i) { return json::parse(hubs_[i]->get("/health").body)["cluster"]; }
  // Every due check on every running hub, after the clock moved by `by`; how many each ran.
  std::vector<int> round(std::chrono::seconds by) {
    clock_->advance(by);
    std::vector<int> ran;
    for (auto& hub : hubs_) ran.push_back(hub ? (*hub)->run_health_checks() : 0);
    return ran;
  }
  static int sum(const std::vector<int>& counts) { return std::accumulate(counts.begin(), counts.end(), 0); }

  std::shared_ptr<hub::ManualClock> clock_ = std::make_shared<hub::ManualClock>();
  std::unique_ptr<hub::testing::ScratchStore> store_;
  std::vector<std::unique_ptr<hub::testing::TestHub>> hubs_;
  std::vector<uint64_t> subscriptions_;
  std::mutex mutex_;
  int downs_ = 0;
};

TEST_F(ClusterHealthChecks, EachTargetIsCheckedByOneHubAndALeavingHubsShareMovesAtOnce) {
  for (int i = 0; i < kTargets; ++i)
    ASSERT_EQ(hubs_[0]
                  ->post("/register", json{{"service_name", "svc-" + std::to_string(i)},
                                           {"host", "10.0.1." + std::to_string(i + 1)},
                                           {"port", 8000},
                                           {"health_endpoint", "/health"}}
                                          .dump())
                  .status,
              201);
  // Every hub knows the three and, from the feed, every target.
  for (size_t i = 0; i < 3; ++i)
    ASSERT_TRUE(hub::testing::eventually([&] {
      (*hubs_[i])->run_health_checks();  // syncs the targets from the registry
      const json cluster = cluster_of(i);
      return cluster["hubs"] == 3 && cluster["checks_known"] == kTargets;
    })) << "hub "
        << i << ": " << cluster_of(i).dump();
  int owned = 0;
  for (size_t i = 0; i < 3; ++i) owned += cluster_of(i)["checks_owned"].get<int>();
  EXPECT_EQ(owned, kTargets) << "the shares overlap or leave targets out";

  const std::vector<int> first = round(10s);
  EXPECT_EQ(sum(first), kTargets) << "each target checked once per interval, by one hub";
  for (size_t i = 0; i < 3; ++i) EXPECT_GT(first[i], 0) << "hub " << i << " checks nothing";

  // svc-7 goes down; whichever hub checks it, every hub serves the verdict.
  set_status("svc-7", HUB_HEALTH_DOWN);
  round(10s);
  for (size_t i = 0; i < 3; ++i)
    EXPECT_TRUE(hub::testing::eventually([&] {
      return json::parse(hubs_[i]->get("/services/svc-7").body)["instances"][0]["status"] == "down";
    })) << "hub "
        << i;
  const json detail = json::parse(hubs_[1]->get("/health/services/svc-7").body);
  const std::string checker = detail["instances"][0].value("checked_by", "");
  ASSERT_FALSE(checker.empty()) << detail.dump();

  // The hub that checks svc-7 stops: the other two take its share at their next pass.
  size_t leaving = 0;
  for (size_t i = 0; i < 3; ++i)
    if (cluster_of(i)["hub_id"] == checker) leaving = i;
  const int its_share = first[leaving];
  hubs_[leaving].reset();
  for (size_t i = 0; i < 3; ++i) {
    if (hubs_[i]) {
      ASSERT_TRUE(hub::testing::eventually([&] { return cluster_of(i)["hubs"] == 2; })) << "hub " << i;
    }
  }
  const std::vector<int> taken_over = round(0s);  // not a second later on the clock: at once
  EXPECT_EQ(sum(taken_over), its_share) << "the leaving hub's targets were not taken over at once";
  EXPECT_EQ(sum(round(10s)), kTargets) << "after the move, each target is still checked once per interval";
  for (size_t i = 0; i < 3; ++i) {
    if (hubs_[i]) {
      EXPECT_EQ(json::parse(hubs_[i]->get("/services/svc-7").body)["instances"][0]["status"], "down");
    }
  }
  std::lock_guard lock(mutex_);
  EXPECT_EQ(downs_, 1) << "svc-7 going down was alerted again by the hub that took it over";
}
