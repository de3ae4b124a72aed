// A manifest: what one hub listens on, stores into, logs, and which plugins
// it loads with which config. Read from YAML (config/*.yaml) or built in code.
//
//   hub::Manifest d = hub::load_manifest("config/development.yaml");
//
// Loading refuses unknown keys, wrong types and missing required values with
// a ManifestError "FILE:LINE:COLUMN: KEY: what is wrong". ${VAR} and
// ${VAR:-default} in any string are replaced from the environment.
#pragma once

#include <hub/backup_settings.hpp>
#include <hub/balancing_settings.hpp>
#include <hub/config_settings.hpp>
#include <hub/deployment_settings.hpp>
#include <hub/error_settings.hpp>
#include <hub/events_settings.hpp>
#include <hub/health_settings.hpp>
#include <hub/http_settings.hpp>
#include <hub/liveness_settings.hpp>
#include <hub/logging_settings.hpp>
#include <hub/plugin_settings.hpp>
#include <hub/security_settings.hpp>
#include <hub/storage_settings.hpp>

#include <filesystem>
#include <string>
#include <vector>

namespace hub {

struct Manifest {
  std::string name = "embedded";  // the file it came from
  ListenAddress listen{"127.0.0.1", 0};
  StorageSettings storage;
  LoggingSettings logging;
  HttpSettings http;
  SecuritySettings security;
  ConfigManagementSettings config_management;
  HealthMonitoringSettings health_monitoring;
  LivenessSettings liveness;
  LoadBalancingSettings load_balancing;
  CircuitBreakingSettings circuit_breaking;
  DeploymentSettings deployments;
  BackupSettings backups;
  ErrorSettings errors;
  EventsSettings events;
  std::vector<std::filesystem::path> plugin_search_paths;
  std::vector<PluginLibrarySettings> plugins;
};

Manifest load_manifest(const std::filesystem::path& file);
// `name` is used in messages; relative paths resolve against `base_dir`.
Manifest parse_manifest(const std::string& yaml_text, const std::string& name, const std::filesystem::path& base_dir);

}  // namespace hub
