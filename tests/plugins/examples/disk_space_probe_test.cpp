// The example probe, loaded from YAML as a manifest would load it.
#include <hub/hub.hpp>
#include "health/health_probe.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sys/statvfs.h>

using testing::HasSubstr;

namespace {

// A hub whose manifest enables the probe with these thresholds; returns the outcome for `path`.
hub::ProbeOutcome check_with(double warning, double critical, const std::string& path) {
  hub::Manifest manifest = hub::parse_manifest(
      "listen: 127.0.0.1:0\nstorage: {backend: memory}\nlogging: {level: warn}\nplugins:\n  search_paths: [" HUB_PLUGIN_DIR
      "]\n"
      "  libraries:\n    - library: disk-space-probe\n      enable:\n        - implementation: disk_space\n          id: disk\n"
      "          config: {warning_free_percent: " +
          std::to_string(warning) + ", critical_free_percent: " + std::to_string(critical) + "}\n",
      "disk.yaml", ".");
  hub::PluginLoader loader({.search_paths = manifest.plugin_search_paths});
  auto library = loader.load(manifest.plugins.at(0).library);
  const hub::EnabledImplementation& enabled = manifest.plugins[0].enable.at(0);
  hub::HealthProbe probe(hub::PluginInstance::create(library, *library->find(enabled.implementation), enabled.id, enabled.config, {}));
  return probe.check({.name = "disk", .endpoint = path}, std::chrono::seconds(5));
}

double free_percent(const char* path) {
  struct statvfs stats {};
  statvfs(path, &stats);
  return 100.0 * static_cast<double>(stats.f_bavail) / static_cast<double>(stats.f_blocks);
}

}  // namespace

TEST(DiskSpaceProbe, HealthyAboveTheWarningThreshold) {
  hub::ProbeOutcome outcome = check_with(0, 0, "/");
  EXPECT_EQ(outcome.status, HUB_HEALTH_HEALTHY);
  EXPECT_THAT(outcome.message, HasSubstr("/: "));
  EXPECT_THAT(outcome.message, HasSubstr("% free"));
}

TEST(DiskSpaceProbe, DegradedBelowWarningAndDownBelowCritical) {
  const double free = free_percent("/");
  ASSERT_LT(free, 100.0);
  hub::ProbeOutcome degraded = check_with(100, 0, "/");
  EXPECT_EQ(degraded.status, HUB_HEALTH_DEGRADED);
  EXPECT_THAT(degraded.message, HasSubstr("below the warning"));
  hub::ProbeOutcome down = check_with(100, 100, "/");
  EXPECT_EQ(down.status, HUB_HEALTH_DOWN);
  EXPECT_THAT(down.message, HasSubstr("below the critical"));
}

TEST(DiskSpaceProbe, AMissingPathIsDownWithTheReason) {
  hub::ProbeOutcome outcome = check_with(15, 5, "/nonexistent/volume");
  EXPECT_EQ(outcome.status, HUB_HEALTH_DOWN);
  EXPECT_EQ(outcome.message, "statvfs /nonexistent/volume: No such file or directory");
}
