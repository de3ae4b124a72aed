// What performance reports ask of storage: each service's and operation's histogram since its
// first report, so a restarted hub serves and exports the same totals. Every call is one
// transaction or a StorageError.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace hub {

struct OperationTimingRecord {
  std::string service;
  std::string operation;
  std::string buckets;  // a JSON array of counts: one per bound of the hub's fixed bounds, and one above
  uint64_t count = 0;
  double sum_ms = 0;
  int64_t last_report_unix_us = 0;
};

class PerformanceStore {
 public:
  virtual ~PerformanceStore() = default;
  // Each record replaces its (service, operation) row.
  virtual void save_operation_timings(const std::vector<OperationTimingRecord>& timings) = 0;
  virtual std::vector<OperationTimingRecord> load_operation_timings() = 0;  // by service and operation
};

}  // namespace hub
