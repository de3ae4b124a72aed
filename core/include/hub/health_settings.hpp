// The `health_monitoring` section.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace hub {

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
  std::string url;      // http://HOST:PORT/PATH or https://…, the peer's certificate verified
  std::string ca_file;  // HTTPS: the CAs to trust; empty: the system's
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

}  // namespace hub
