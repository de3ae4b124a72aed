#include <hub/errors.hpp>
#include <hub/testing.hpp>

#include "hub/api/v1/status.pb.h"
#include "plugin_host/plugin_instance.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

using testing::HasSubstr;

namespace {

hub::HubOptions with_plugins(const std::string& yaml_tail) {
  hub::HubOptions options = hub::testing::test_options();
  options.manifest = hub::parse_manifest(
      "listen: 127.0.0.1:0\nstorage: {backend: memory}\nlogging: {level: warn}\nplugins:\n  search_paths: [" HUB_FIXTURE_DIR
      ", " HUB_PLUGIN_DIR "]\n" +
          yaml_tail,
      "test.yaml", ".");
  return options;
}

}  // namespace

TEST(Hub, StartsAndStopsAHundredTimes) {
  for (int i = 0; i < 100; ++i) {
    hub::Hub hub(hub::testing::test_options());
    hub.start();
    ASSERT_TRUE(hub.running());
    ASSERT_NE(hub.port(), 0);
    if (i % 25 == 0) {
      ASSERT_EQ(hub::http_call("GET", hub.url() + "/health").status, 200);
    }
    hub.stop();
    ASSERT_FALSE(hub.running());
  }
}

TEST(Hub, HealthReportsStorageAndPlugins) {
  hub::testing::TestHub hub(with_plugins("  libraries:\n    - library: fixture-abi-1-0\n      enable: [{implementation: echo, id: e1}]\n"));
  hub::HttpReply reply = hub.get("/health");
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.content_type, "application/json");
  EXPECT_THAT(reply.body, HasSubstr(R"("status":"healthy")"));
  EXPECT_THAT(reply.body, HasSubstr(R"("storage":{"name":"memory","status":"healthy")"));
  EXPECT_THAT(reply.body, HasSubstr(R"("name":"abi-fixture")"));
  EXPECT_THAT(reply.body, HasSubstr(R"("instances":["e1"])"));
}

TEST(Hub, PluginsListsFileVersionsKindsAndInstances) {
  hub::testing::TestHub hub(
      with_plugins("  libraries:\n    - library: fixture-abi-1-0\n      enable: [{implementation: echo, id: e1}, {implementation: first, "
                   "kind: load_balancer}]\n"));
  hub::HttpReply reply = hub.get("/plugins", {.accept = "application/x-protobuf"});
  ASSERT_EQ(reply.status, 200);
  EXPECT_EQ(reply.content_type, "application/x-protobuf");
  hub::api::v1::PluginsResponse plugins;
  ASSERT_TRUE(plugins.ParseFromString(reply.body));
  EXPECT_EQ(plugins.host_abi_version(), "1.2.0");
  ASSERT_EQ(plugins.plugins_size(), 1);
  const auto& plugin = plugins.plugins(0);
  EXPECT_EQ(plugin.name(), "abi-fixture");
  EXPECT_EQ(plugin.file(), std::filesystem::path(HUB_FIXTURE_DIR "/fixture-abi-1-0.so").lexically_normal().string());
  EXPECT_EQ(plugin.version(), "0.0.1");
  EXPECT_EQ(plugin.abi_version(), "1.0.0");  // built as ABI 1.0, served by a 1.1 hub
  EXPECT_THAT(plugin.kinds(),
              testing::ElementsAre("health_probe", "discovery", "load_balancer", "circuit_breaker", "deployment_coordinator"));
  ASSERT_EQ(plugin.instances_size(), 2);
  EXPECT_EQ(plugin.instances(0).id(), "e1");
  EXPECT_EQ(plugin.instances(1).id(), "first");
  EXPECT_EQ(plugin.instances(1).kind(), "load_balancer");
}

TEST(Hub, UnknownPathsAndMethodsGetJsonErrors) {
  hub::testing::TestHub hub;
  hub::HttpReply missing = hub.get("/nope");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.body, R"({"code":404,"error":"not_found","message":"no such endpoint: GET /nope"})");
  hub::HttpReply wrong = hub.post("/health", "{}");
  EXPECT_EQ(wrong.status, 405);
  EXPECT_THAT(wrong.body, HasSubstr("POST is not allowed on /health; allowed: GET"));
}

TEST(Hub, AnOversizedBodyIsRefused) {
  hub::HubOptions options = hub::testing::test_options();
  options.manifest.http.max_body_bytes = 1024;
  hub::testing::TestHub hub(std::move(options));
  hub::HttpReply reply = hub.post("/health", std::string(4096, 'x'));
  EXPECT_EQ(reply.status, 413);
  EXPECT_THAT(reply.body, HasSubstr("exceeds the limit of 1024 bytes"));
}

TEST(Hub, PluginMetricsAreServed) {
  hub::testing::TestHub hub(with_plugins(
      "  libraries:\n    - library: disk-space-probe\n      enable: [{implementation: disk_space, id: root, config: {path: /}}]\n"));
  const hub::PluginInstance* instance = hub->instance("root");
  ASSERT_NE(instance, nullptr);
  // Run one check through the ABI directly; the probe counts it in a metric.
  const auto& vtable = instance->vtable<hub_health_probe_vtable>();
  struct Seen {
    hub_health status = HUB_HEALTH_UNKNOWN;
  } seen;
  hub_probe_reporter reporter{sizeof(hub_probe_reporter), &seen,
                              [](void* context, const hub_probe_result* result) { static_cast<Seen*>(context)->status = result->status; }};
  hub_probe_target target{sizeof(hub_probe_target), {"root", 4}, {nullptr, 0}, 0, {"/", 1}, nullptr, 0};
  ASSERT_EQ(vtable.check(instance->handle(), 1, &target, 0, &reporter), HUB_OK);
  EXPECT_NE(seen.status, HUB_HEALTH_UNKNOWN);
  EXPECT_EQ(hub->metrics().value("root_checks_total"), 1);
  const std::string text = hub.get("/metrics").body;
  EXPECT_THAT(text, HasSubstr("# HELP root_checks_total Reported by plugin instance 'root'.\n# TYPE root_checks_total counter\n"
                              "root_checks_total 1\n"));
}

TEST(Hub, APluginThatFailsToLoadStopsTheStartAndSaysWhere) {
  hub::Hub hub(with_plugins("  libraries:\n    - library: fixture-newer-major\n      enable: [{implementation: echo}]\n"));
  try {
    hub.start();
    FAIL() << "started";
  } catch (const hub::PluginError& error) {
    EXPECT_THAT(error.what(), HasSubstr("test.yaml:7:7: plugin "));
    EXPECT_THAT(error.what(), HasSubstr("built for plugin ABI 2.0.0"));
  }
  EXPECT_FALSE(hub.running());
}

TEST(Hub, AnUnknownImplementationListsWhatTheLibraryOffers) {
  hub::Hub hub(with_plugins("  libraries:\n    - library: fixture-abi-1-0\n      enable: [{implementation: ecko}]\n"));
  EXPECT_THAT([&] { hub.start(); }, testing::ThrowsMessage<hub::PluginError>(
                                        HasSubstr("has no implementation 'ecko'; it offers: echo (health_probe), empty (discovery)")));
}

TEST(Hub, AKindMismatchIsRefused) {
  hub::Hub hub(with_plugins("  libraries:\n    - library: fixture-abi-1-0\n      enable: [{implementation: echo, kind: load_balancer}]\n"));
  EXPECT_THAT([&] { hub.start(); }, testing::ThrowsMessage<hub::PluginError>(
                                        HasSubstr("implementation 'echo' is a health_probe, but the deployment says load_balancer")));
}

TEST(Hub, AFailedInitReleasesWhatWasMadeAndTheHubCanStartLater) {
  hub::HubOptions options = with_plugins(
      "  libraries:\n    - library: fixture-abi-1-0\n      enable: [{implementation: echo}]\n"
      "    - library: throwing-plugin\n      enable: [{implementation: throws_in_constructor, config: {threshold: 7}}]\n");
  hub::Hub hub(options);
  EXPECT_THAT([&] { hub.start(); },
              testing::ThrowsMessage<hub::PluginError>(HasSubstr("constructor refused: threshold 7 is out of range")));
  EXPECT_FALSE(hub.running());
  EXPECT_EQ(hub.instance("echo"), nullptr);
}

TEST(Hub, APortInUseIsAClearError) {
  hub::testing::TestHub first;
  hub::HubOptions options = hub::testing::test_options();
  options.manifest.listen.port = first->port();
  hub::Hub second(std::move(options));
  EXPECT_THAT([&] { second.start(); }, testing::ThrowsMessage<std::runtime_error>(HasSubstr("cannot listen on 127.0.0.1:")));
}

TEST(Hub, SqliteStorageCreatesItsFile) {
  const auto dir = std::filesystem::temp_directory_path() / ("hub-sqlite-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  hub::HubOptions options = hub::testing::test_options();
  options.manifest.storage.backend = hub::StorageSettings::Backend::sqlite;
  options.manifest.storage.sqlite_path = dir / "nested" / "hub.db";
  {
    hub::testing::TestHub hub(std::move(options));
    EXPECT_THAT(hub.get("/health").body, HasSubstr(R"("storage":{"name":"sqlite","status":"healthy")"));
  }
  EXPECT_TRUE(std::filesystem::exists(dir / "nested" / "hub.db"));
  std::filesystem::remove_all(dir);
}

TEST(Hub, CheckDeploymentCreatesEveryInstanceWithoutListening) {
  hub::HubOptions good = with_plugins("  libraries:\n    - library: disk-space-probe\n      enable: [{implementation: disk_space}]\n");
  EXPECT_NO_THROW(hub::check_manifest(good.manifest));
  hub::HubOptions bad = with_plugins(
      "  libraries:\n    - library: disk-space-probe\n      enable: [{implementation: disk_space, config: {warning_free_percent: 5, "
      "critical_free_percent: 50}}]\n");
  EXPECT_THAT([&] { hub::check_manifest(bad.manifest); },
              testing::ThrowsMessage<hub::PluginError>(HasSubstr("need 0 <= critical_free_percent <= warning_free_percent <= 100")));
}

TEST(Hub, OptionsFromTheShippedTestDeployment) {
  setenv("HUB_PLUGIN_DIR", HUB_PLUGIN_DIR, 1);
  hub::testing::TestHub hub(hub::HubOptions::from_file(HUB_SOURCE_DIR "/config/test.yaml"));
  unsetenv("HUB_PLUGIN_DIR");
  EXPECT_NE(hub->port(), 0);
  EXPECT_THAT(hub.get("/plugins").body,
              HasSubstr(R"("instances":[{"id":"test-disk","implementation":"disk_space","kind":"health_probe"}])"));
}

TEST(Hub, JsonLogsAreOneEscapedObjectPerLine) {
  hub::HubOptions options = hub::testing::test_options();
  options.manifest.logging = {"info", hub::LoggingSettings::Format::json};
  options.manifest.name = "quote\"and\\slash";
  testing::internal::CaptureStderr();
  { hub::testing::TestHub hub(std::move(options)); }
  const std::string logged = testing::internal::GetCapturedStderr();
  std::vector<std::string> lines;
  for (size_t at = 0, end; (end = logged.find('\n', at)) != std::string::npos; at = end + 1) lines.push_back(logged.substr(at, end - at));
  ASSERT_EQ(lines.size(), 3u) << logged;
  EXPECT_THAT(lines[0], testing::HasSubstr(R"re("level":"warning","logger":"hub","message":"auth is disabled: )re"));
  EXPECT_THAT(lines[1], testing::MatchesRegex(R"re(\{"time":"[0-9-]+T[0-9:]+\.[0-9]+Z","level":"info","logger":"hub",.*)re"));
  EXPECT_THAT(lines[1], testing::EndsWith(R"re((quote\"and\\slash, memory storage, 0 plugin instance(s))"})re"));
  EXPECT_THAT(lines[2], testing::EndsWith(R"re("level":"info","logger":"hub","message":"stopped"})re"));
}
