// What circuit breaking asks of storage: each service's circuit that is not simply CLOSED, so that
// an open or operator-set circuit survives a restart of the hub. Every call is one transaction or
// a StorageError.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace hub {

struct CircuitRecord {
  std::string service;
  std::string state;               // OPEN, HALF_OPEN, DISABLED, FORCED_OPEN; CLOSED removes the row
  int64_t opened_at_unix_us = 0;   // OPEN and HALF_OPEN: when it left CLOSED
  int64_t changed_at_unix_us = 0;  // when it moved to `state`
  std::string set_by;              // DISABLED and FORCED_OPEN: the operator's token, as the audit trail names it
};

class CircuitStore {
 public:
  virtual ~CircuitStore() = default;
  // Each record replaces the service's row; a CLOSED one deletes it.
  virtual void save_circuits(const std::vector<CircuitRecord>& circuits) = 0;
  virtual std::vector<CircuitRecord> load_circuits() = 0;
};

}  // namespace hub
