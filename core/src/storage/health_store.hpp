// What health monitoring asks of storage: check results land in the seed's
// infrastructure_status (components) and health_metrics (services, as
// metric_type 'health_check' with the latency in ms), and rows older than the
// retention are pruned. Every call is one transaction or a StorageError.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace hub {

struct HealthRow {
  bool infrastructure = false;
  std::string name;  // the component, or the service
  std::string status;
  double latency_ms = 0;
  std::string message;  // infrastructure_status.error_message when not healthy
  int64_t unix_us = 0;
};

// The seed's Example 7 uptime: rows of health_metrics with a status, per service.
struct UptimeCount {
  std::string service;
  int64_t total = 0;
  int64_t healthy = 0;
};

// Checks of one component or service within one bucket of time, for a trend chart.
struct HealthBucket {
  std::string name;
  int64_t start_unix_us = 0;  // the bucket's start, a multiple of its width
  int64_t checks = 0;
  int64_t healthy = 0;
  double mean_latency_ms = 0;
  double max_latency_ms = 0;
};

class HealthStore {
 public:
  virtual ~HealthStore() = default;
  virtual void save_health_rows(const std::vector<HealthRow>& rows) = 0;
  virtual void prune_health_rows(int64_t older_than_unix_us) = 0;
  virtual std::vector<UptimeCount> load_uptime(int64_t since_unix_us) = 0;
  // The rows after `since` of infrastructure_status (`infrastructure`) or health_metrics, of `name`
  // or of every name when it is empty, summed into buckets `bucket_seconds` wide; ordered by name, then time.
  virtual std::vector<HealthBucket> load_health_trend(bool infrastructure, const std::string& name, int64_t since_unix_us,
                                                      int bucket_seconds) = 0;
};

}  // namespace hub
