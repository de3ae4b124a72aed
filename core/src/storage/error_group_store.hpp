// What error groups ask of storage: each group and each service's error rate as a JSON document
// the error groups write and read back, so a restarted hub knows which errors are old and what
// their normal rates are. Every call is one transaction or a StorageError.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace hub {

struct ErrorGroupRecord {
  std::string fingerprint;
  std::string service;  // the service of its newest event
  std::string type;
  int64_t first_seen_unix_us = 0;
  int64_t last_seen_unix_us = 0;
  uint64_t count = 0;
  std::string document;  // the whole group, as ErrorGroups writes it
};

struct ErrorRateRecord {
  std::string service;
  std::string document;  // the rate's minutes and baseline, and whether it spikes
  int64_t updated_at_unix_us = 0;
};

struct ErrorGroupChanges {
  std::vector<ErrorGroupRecord> groups;  // each replaces its fingerprint's row
  std::vector<std::string> forgotten;    // fingerprints whose rows go (retention, eviction)
  // When not 0, the rows of groups last seen before it go too: what a flood of new fingerprints
  // made the hub forget, too many to name one by one.
  int64_t forget_seen_before_unix_us = 0;
  std::vector<ErrorRateRecord> rates;  // each replaces its service's row
  bool empty() const { return groups.empty() && forgotten.empty() && !forget_seen_before_unix_us && rates.empty(); }
};

struct StoredErrorGroups {
  std::vector<ErrorGroupRecord> groups;  // by fingerprint
  std::vector<ErrorRateRecord> rates;    // by service
};

class ErrorGroupStore {
 public:
  virtual ~ErrorGroupStore() = default;
  virtual void save_error_groups(const ErrorGroupChanges& changes) = 0;
  virtual StoredErrorGroups load_error_groups() = 0;
};

}  // namespace hub
