// One instance as the registry keeps it and storage persists it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace hub {

struct InstanceRecord {
  std::string service_name;
  std::string instance_id;
  std::string host;
  uint16_t port = 0;
  std::string protocol = "http";
  std::string health_endpoint;
  std::string version;
  std::vector<std::string> dependencies;
  std::vector<std::string> tags;
  std::string metadata_json = "{}";  // a JSON object
  uint32_t weight = 100;
  std::string status = "healthy";  // healthy, degraded, down
  int64_t last_heartbeat_unix_us = 0;
  int64_t registered_at_unix_us = 0;
  int64_t down_since_unix_us = 0;  // 0 unless down
  std::string source = "self";     // "self", or the discovery instance that found it
};

// Where to call it: "http://10.0.0.7:8001", "http://[::1]:8001".
inline std::string url_of(const InstanceRecord& record) {
  const bool ipv6 = record.host.find(':') != std::string::npos && record.host.front() != '[';
  return record.protocol + "://" + (ipv6 ? "[" + record.host + "]" : record.host) + ":" + std::to_string(record.port);
}

// A coalesced heartbeat: the newest last_heartbeat of one instance.
struct HeartbeatMark {
  std::string service_name;
  std::string instance_id;
  int64_t last_heartbeat_unix_us = 0;
};

// One row of the seed's health_metrics table.
struct MetricSample {
  std::string service_name;
  std::string metric_type;  // cpu, memory, latency, throughput, heartbeat, ...
  double value = 0;
  std::string status;
  int64_t unix_us = 0;
};

}  // namespace hub
