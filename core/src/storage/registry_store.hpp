// What the registry asks of storage. Every call is one transaction: it
// happens whole or throws StorageError and changes nothing.
#pragma once

#include "instance_record.hpp"

#include <string>
#include <vector>

namespace hub {

class RegistryStore {
 public:
  virtual ~RegistryStore() = default;
  // Inserts or replaces the row of (service_name, instance_id).
  virtual void save_instance(const InstanceRecord& record) = 0;
  virtual void delete_instance(const std::string& service_name, const std::string& instance_id) = 0;
  virtual void save_status(const std::string& service_name, const std::string& instance_id, const std::string& status,
                           int64_t down_since_unix_us) = 0;
  // Heartbeats are coalesced in memory and reach the database in batches.
  virtual void save_heartbeats(const std::vector<HeartbeatMark>& marks, const std::vector<MetricSample>& samples) = 0;
  virtual std::vector<InstanceRecord> load_instances() = 0;
};

}  // namespace hub
