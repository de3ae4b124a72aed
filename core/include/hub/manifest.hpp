// A manifest: what one hub listens on, stores into, logs, and which plugins
// it loads with which config. Read from YAML (config/*.yaml) or built in code.
//
//   hub::Manifest d = hub::load_manifest("config/development.yaml");
//
// Loading refuses unknown keys, wrong types and missing required values with
// a ManifestError "FILE:LINE:COLUMN: KEY: what is wrong". ${VAR} and
// ${VAR:-default} in any string are replaced from the environment.
#pragma once

#include <hub/plugin_config.hpp>

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace hub {

struct ListenAddress {
  std::string host = "127.0.0.1";
  uint16_t port = 8001;
  std::string to_string() const { return host + ":" + std::to_string(port); }
  static ListenAddress parse(const std::string& text);  // "HOST:PORT"; throws std::invalid_argument
};

struct PostgresSettings {
  std::string host = "127.0.0.1";
  uint16_t port = 5432;
  std::string dbname = "central_hub";
  std::string user = "postgres";
  std::string password;  // from the environment; never logged
  int connect_timeout_seconds = 5;
  std::string connection_string() const;
};

struct StorageSettings {
  enum class Backend { memory, sqlite, postgres };
  Backend backend = Backend::memory;
  std::filesystem::path sqlite_path = "central-hub.db";
  PostgresSettings postgres;
};
std::string backend_name(StorageSettings::Backend backend);

struct LoggingSettings {
  std::string level = "info";  // trace, debug, info, warn, error, off
  enum class Format { text, json };
  Format format = Format::text;
};

struct HttpSettings {
  int io_threads = 0;  // event loops; 0: one per core, at most 4
  int threads = 8;     // workers for handlers that may wait on storage
  int max_queued = 1024;
  size_t max_body_bytes = 1 << 20;
  size_t max_header_bytes = 64 * 1024;  // the request line and headers
  int idle_timeout_seconds = 60;        // a keep-alive connection silent this long is closed
  int header_timeout_seconds = 10;      // from a request's first byte to the end of its headers
  int body_timeout_seconds = 60;        // from the end of the headers to the end of the body
  // Open connections, all event loops together. 0: the descriptor limit less a reserve for
  // storage, probes and plugins. At the cap the longest-idle connection makes room for a new one.
  int max_connections = 0;
};

// Versioned configs (the `config_management` section).
struct ConfigManagementSettings {
  int retention_versions = 20;  // versions kept per service besides the active one
  size_t max_config_bytes = 256 * 1024;
  int max_depth = 32;
  int max_watch_seconds = 300;  // the longest a blocking query may wait
};

// One infrastructure component the hub checks (health_monitoring.infrastructure).
struct InfrastructureTarget {
  std::string name;         // "postgresql"
  std::string probe;        // the id of an enabled health_probe implementation
  std::string probe_where;  // "FILE:LINE:COLUMN" of `probe`
  std::string host = "127.0.0.1";
  uint16_t port = 0;
  std::string endpoint;  // what the probe reads: a path, a DSN, a command
  std::vector<std::pair<std::string, std::string>> attributes;
  int interval_seconds = 0;      // 0: the section's check_interval_seconds
  int timeout_ms = 0;            // 0: the section's timeout_ms
  int degraded_latency_ms = -1;  // -1: the section's; 0: never degraded for latency
  std::string where;             // "FILE:LINE:COLUMN" for messages
};

// Where alerts are POSTed as JSON, retried with backoff.
struct WebhookSink {
  std::string url;  // http://HOST:PORT/PATH
  int timeout_ms = 2000;
  int max_attempts = 5;
  int first_backoff_ms = 500;  // doubles per attempt, with jitter
};

// Health checks of instances and infrastructure (the `health_monitoring` section).
struct HealthMonitoringSettings {
  bool enabled = false;  // true when the section is present
  int check_interval_seconds = 60;
  int timeout_ms = 5000;
  int max_concurrent_checks = 32;
  int max_stuck_threads = 16;       // threads that may stand in for ones stuck inside a hung probe
  int rise = 2;                     // consecutive better results that confirm a recovery
  int fall = 3;                     // consecutive worse results that confirm a failure
  int degraded_latency_ms = 0;      // slower than this is degraded; 0: off
  int retention_days = 7;           // health_metrics and infrastructure_status rows
  int history_size = 60;            // recent results kept in memory per target
  std::string service_probe;        // the probe for instances with a health endpoint; empty: none
  std::string service_probe_where;  // "FILE:LINE:COLUMN" of service_probe
  std::vector<InfrastructureTarget> infrastructure;
  std::vector<WebhookSink> webhooks;
};

// How the hub keeps its own outages from looking like the fleet's (the `liveness` section).
// The liveness implementation decides when one instance is silent; these rules are the core's.
struct LivenessSettings {
  // After the hub starts, and after storage comes back, an instance not heard from since then is
  // judged silent only from that moment plus one heartbeat interval (the seed's 30 s).
  int heartbeat_interval_seconds = 30;
  // The mass-expiry guard: when more than max_expiring_percent of the live instances would go down
  // within window_seconds, the hub suspects itself and holds every expiry until heartbeats return
  // or an operator confirms. Fleets of fewer than min_instances are never held.
  bool guard = true;
  int max_expiring_percent = 15;
  int window_seconds = 90;  // keep it at the liveness implementation's service_timeout_seconds
  int min_instances = 10;
};

// How lookups choose among a service's instances (the `load_balancing` section).
struct LoadBalancingSettings {
  // When fewer than this percentage of a service's instances are healthy, /discover picks among all
  // of them, down ones included, instead of answering 503 (Envoy's panic threshold). 0: off.
  int panic_threshold_percent = 0;
  std::map<std::string, int> service_panic_threshold_percent;  // per service, over the default
  int panic_threshold_for(const std::string& service) const {
    auto found = service_panic_threshold_percent.find(service);
    return found == service_panic_threshold_percent.end() ? panic_threshold_percent : found->second;
  }
  // The enabled load_balancer implementation (its id) that picks; empty: the built-in round_robin.
  std::string balancer;
  std::map<std::string, std::string> service_balancer;  // per service, over the default
  std::map<std::string, std::string> balancer_where;    // "" or a service name -> "FILE:LINE:COLUMN"
  const std::string& balancer_for(const std::string& service) const {
    auto found = service_balancer.find(service);
    return found == service_balancer.end() ? balancer : found->second;
  }
};

struct NatsSettings {
  std::string url = "nats://127.0.0.1:4222";
  std::string subject_prefix = "central-hub";
};

struct EventsSettings {
  std::optional<NatsSettings> nats;
};

// One implementation to instantiate from a library.
struct EnabledImplementation {
  std::string implementation;  // as the plugin names it
  std::string kind;            // optional: checked against the plugin's
  std::string id;              // unique in the hub; defaults to the implementation
  PluginConfig config;
  std::string where;  // "FILE:LINE:COLUMN" for messages
};

struct PluginLibrarySettings {
  std::string library;  // a name found through search paths, a static plugin's name, or a path
  // in_process: loaded into the hub. process: run in a hub-plugin-host process of its own, so a
  // crash there is a down target and an alert, not a dead hub (health_probe and discovery only).
  enum class Isolation { in_process, process };
  Isolation isolation = Isolation::in_process;
  std::vector<EnabledImplementation> enable;
  std::string where;
};

struct Manifest {
  std::string name = "embedded";  // the file it came from
  ListenAddress listen{"127.0.0.1", 0};
  StorageSettings storage;
  LoggingSettings logging;
  HttpSettings http;
  ConfigManagementSettings config_management;
  HealthMonitoringSettings health_monitoring;
  LivenessSettings liveness;
  LoadBalancingSettings load_balancing;
  EventsSettings events;
  std::vector<std::filesystem::path> plugin_search_paths;
  std::vector<PluginLibrarySettings> plugins;
};

Manifest load_manifest(const std::filesystem::path& file);
// `name` is used in messages; relative paths resolve against `base_dir`.
Manifest parse_manifest(const std::string& yaml_text, const std::string& name, const std::filesystem::path& base_dir);

}  // namespace hub
