// What the registry reads from storage, and its heartbeats. Every call is one
// transaction: it happens whole or throws StorageError and changes nothing.
// Registrations, removals and status changes are Writes (write.hpp).
#pragma once

#include "instance_record.hpp"

#include <string>
#include <vector>

namespace hub {

class RegistryStore {
 public:
  virtual ~RegistryStore() = default;
  // Heartbeats are coalesced in memory and reach the database in batches.
  virtual void save_heartbeats(const std::vector<HeartbeatMark>& marks, const std::vector<MetricSample>& samples) = 0;
  virtual std::vector<InstanceRecord> load_instances() = 0;
};

}  // namespace hub
