// GET /metrics as Prometheus reads it: the Metrics families on their own, and
// promtool (Debian's prometheus package) checking a live hub's whole answer
// with discovery, config and health monitoring running.
#include "discovery_plugin.hpp"
#include "health_probe_plugin.hpp"
#include "support/scripted_server.hpp"

#include <hub/metrics.hpp>
#include <hub/testing.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

using testing::HasSubstr;

namespace {

TEST(Metrics, EveryFamilyHasHelpAndTypeAndLabelsSitAfterTheName) {
  hub::Metrics metrics;
  metrics.describe("hub_health_check_seconds", hub::Metrics::Type::summary, "Checks and their latency.");
  metrics.observe("hub_health_check_seconds", 2.5, {{"target", "infrastructure"}});
  metrics.observe("hub_health_check_seconds", 1.5, {{"target", "infrastructure"}});
  metrics.counter_add("made_up_total", 3, {{"path", "a\"b\\c\nd"}});
  const std::string text = metrics.prometheus_text();
  EXPECT_THAT(text, HasSubstr("# HELP hub_health_check_seconds Checks and their latency.\n# TYPE hub_health_check_seconds summary\n"
                              "hub_health_check_seconds_count{target=\"infrastructure\"} 2\n"
                              "hub_health_check_seconds_sum{target=\"infrastructure\"} 4\n"));
  EXPECT_THAT(text, HasSubstr("# TYPE made_up_total counter\nmade_up_total{path=\"a\\\"b\\\\c\\nd\"} 3\n"));
  EXPECT_THAT(text, HasSubstr("# HELP made_up_total Recorded by the hub or a plugin; no description was given."));
  EXPECT_EQ(metrics.value("hub_health_check_seconds", {{"target", "infrastructure"}}), 2);
}

TEST(Metrics, ASecondTypeForAFamilyAndSeriesPastTheCapAreDroppedAndCounted) {
  hub::Metrics metrics;
  metrics.counter_add("x_total", 1);
  metrics.gauge_set("x_total", 7);
  EXPECT_EQ(metrics.value("x_total"), 1);
  for (size_t i = 0; i < hub::Metrics::kMaxSeries + 5; ++i) metrics.counter_add("per_request_total", 1, {{"id", std::to_string(i)}});
  const std::string text = metrics.prometheus_text();
  EXPECT_THAT(text, HasSubstr("hub_metrics_dropped_total 7\n"));  // the gauge and six series past the cap
  EXPECT_EQ(metrics.value("per_request_total", {{"id", std::to_string(hub::Metrics::kMaxSeries + 1)}}), 0);
}

TEST(Metrics, ALiveHubsAnswerPassesPromtool) {
  const char* promtool = "/usr/bin/promtool";
  if (!std::filesystem::exists(promtool)) {
    if (std::getenv("HUB_REQUIRE_INTEGRATION"))
      FAIL() << "promtool is missing (Debian's prometheus package), but integration tests are required";
    GTEST_SKIP() << "no promtool: install Debian's prometheus package (tools/dev test does)";
  }
  hub::testing::ScriptedServer service([](int fd) {
    if (hub::testing::ScriptedServer::read_until(fd, "\r\n\r\n").empty()) return;
    hub::testing::ScriptedServer::send_all(fd, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}");
  });
  hub::HubOptions options = hub::testing::test_options();
  options.manifest = hub::parse_manifest(R"(listen: 127.0.0.1:0
storage: {backend: memory}
logging: {level: error}
health_monitoring:
  check_interval_seconds: 1
  service_probe: http
  infrastructure:
    - {name: web, probe: tcp, port: )" + std::to_string(service.port()) +
                                             R"(}
plugins:
  libraries:
    - library: discovery
      enable: [{implementation: liveness}]
    - library: health-probe
      enable: [{implementation: http}, {implementation: tcp}]
)",
                                         "metrics-test.yaml", ".");
  options.static_plugins = {{"discovery", &discovery_plugin}, {"health-probe", &health_probe_plugin}};
  auto clock = std::make_shared<hub::ManualClock>();
  options.clock = clock;
  options.health_scheduler_thread = false;
  hub::testing::TestHub hub(std::move(options));
  ASSERT_EQ(hub.post("/register", R"({"service_name": "api", "host": "127.0.0.1", "port": )" + std::to_string(service.port()) +
                                      R"(, "health_endpoint": "/health"})")
                .status,
            201);
  hub::HttpCallOptions update;
  update.body = R"({"config_data": {"interval": 5}})";
  ASSERT_EQ(hub::http_call("PUT", hub.url() + "/config/api", update).status, 201);
  ASSERT_EQ(hub->run_health_checks(), 1);   // the infrastructure at once; the instance is seen
  clock->advance(std::chrono::seconds(2));  // past the instance's first, spread-out check
  ASSERT_EQ(hub->run_health_checks(), 2);

  const hub::HttpReply reply = hub.get("/metrics");
  ASSERT_EQ(reply.status, 200);
  EXPECT_THAT(reply.body, HasSubstr("hub_health_check_seconds_count{target=\"service\"} 1"));
  EXPECT_THAT(reply.body, HasSubstr("hub_registry_instances{status=\"healthy\"} 1"));
  const std::filesystem::path file = std::filesystem::temp_directory_path() / ("hub-metrics-" + std::to_string(::getpid()) + ".txt");
  std::ofstream(file) << reply.body;
  const std::string command = std::string(promtool) + " check metrics < " + file.string() + " 2>&1";
  FILE* pipe = ::popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string said;
  char buffer[512];
  while (size_t n = std::fread(buffer, 1, sizeof buffer, pipe)) said.append(buffer, n);
  const int status = ::pclose(pipe);
  std::filesystem::remove(file);
  EXPECT_EQ(status, 0) << "promtool: " << said << "\n" << reply.body;
  EXPECT_EQ(said, "") << reply.body;
}

}  // namespace

namespace hub {
namespace {

TEST(MetricsHistogram, BucketsAreCumulativeAndOtherBoundsAreDropped) {
  Metrics metrics;
  metrics.describe("op_seconds", Metrics::Type::histogram, "Durations.");
  metrics.histogram_add("op_seconds", {0.1, 1}, {2, 1, 1}, 3.5, {{"operation", "a"}});
  metrics.histogram_add("op_seconds", {0.1, 1}, {1, 0, 0}, 0.05, {{"operation", "a"}});
  const std::string text = metrics.prometheus_text();
  EXPECT_NE(text.find("# TYPE op_seconds histogram"), std::string::npos) << text;
  EXPECT_NE(text.find("op_seconds_bucket{operation=\"a\",le=\"0.1\"} 3\n"), std::string::npos) << text;
  EXPECT_NE(text.find("op_seconds_bucket{operation=\"a\",le=\"1\"} 4\n"), std::string::npos) << text;
  EXPECT_NE(text.find("op_seconds_bucket{operation=\"a\",le=\"+Inf\"} 5\n"), std::string::npos) << text;
  EXPECT_NE(text.find("op_seconds_sum{operation=\"a\"} 3.55\n"), std::string::npos) << text;
  EXPECT_NE(text.find("op_seconds_count{operation=\"a\"} 5\n"), std::string::npos) << text;
  EXPECT_EQ(metrics.value("op_seconds", {{"operation", "a"}}), 5);
  metrics.histogram_add("op_seconds", {0.5}, {1, 1}, 1, {{"operation", "b"}});  // other bounds
  metrics.histogram_add("op_seconds", {0.1, 1}, {1}, 1, {{"operation", "a"}});  // counts that do not fit
  EXPECT_EQ(metrics.value("op_seconds", {{"operation", "b"}}), 0);
  EXPECT_EQ(metrics.value("op_seconds", {{"operation", "a"}}), 5);
  EXPECT_NE(metrics.prometheus_text().find("hub_metrics_dropped_total 2"), std::string::npos);
}

}  // namespace
}  // namespace hub
