// The timings services report (POST /performance, from their PerformanceTracker): per service and
// operation, a histogram of durations in fixed buckets, its count and sum, kept whole since the hub
// started, served with percentiles and exported on /metrics as hub_operation_duration_seconds.
#pragma once

#include "storage/performance_store.hpp"

#include <hub/clock.hpp>
#include <hub/metrics.hpp>

#include <nlohmann/json.hpp>

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace hub::performance {

// The buckets' upper bounds in milliseconds, the last one open: the Python and C++ trackers use these.
inline const std::vector<double> kBoundsMs{0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000};
constexpr size_t kBuckets = 15;  // kBoundsMs.size() + 1

struct OperationReport {
  std::string operation;
  std::array<uint64_t, kBuckets> buckets{};
  uint64_t count = 0;
  double sum_ms = 0;
};

class PerformanceReports {
 public:
  static constexpr size_t kMaxOperations = 5'000;  // (service, operation) pairs; beyond, new ones are dropped and counted

  PerformanceReports(std::shared_ptr<Clock> clock, Metrics& metrics);

  // Adds one service's report; returns how many operations were new and dropped past the cap.
  size_t add(const std::string& service, const std::vector<OperationReport>& operations);
  // {service: {operation: {count, sum_ms, mean_ms, p50_ms, p95_ms, p99_ms, buckets, last_report}}}
  nlohmann::json list(const std::string& service) const;

  // Takes back the totals storage kept before a restart, on /metrics too; returns how many rows
  // could not be read, which are skipped.
  size_t restore(const std::vector<OperationTimingRecord>& stored);
  // Writes the totals that changed since the last save; on a StorageError they stay to be written.
  void save(PerformanceStore& store);

 private:
  struct Totals {
    std::array<uint64_t, kBuckets> buckets{};
    uint64_t count = 0;
    double sum_ms = 0;
    int64_t last_report_us = 0;
  };

  const std::shared_ptr<Clock> clock_;
  Metrics& metrics_;
  mutable std::mutex mutex_;
  std::map<std::pair<std::string, std::string>, Totals> totals_;
  std::set<std::pair<std::string, std::string>> unsaved_;
};

// The duration below which `fraction` of the counted ones fall, interpolated within its bucket.
double percentile_ms(const std::array<uint64_t, kBuckets>& buckets, uint64_t count, double fraction);

}  // namespace hub::performance
