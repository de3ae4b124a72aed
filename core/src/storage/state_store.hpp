// What snapshots ask of storage: the registry, every config version and change, the rollouts and
// the circuits, read at one point in time and written back whole. Every call is one transaction
// or a StorageError.
#pragma once

#include "circuit_store.hpp"
#include "config_version_store.hpp"
#include "instance_record.hpp"
#include "rollout_store.hpp"

#include <vector>

namespace hub {

struct StoredState {
  std::vector<InstanceRecord> instances;       // by service and instance id
  std::vector<ConfigVersion> config_versions;  // by scope and version
  std::vector<ConfigChange> config_changes;    // by revision
  std::vector<RolloutRecord> rollouts;         // oldest first
  std::vector<CircuitRecord> circuits;         // by service
  bool empty() const { return instances.empty() && config_versions.empty() && rollouts.empty(); }
};

class StateStore {
 public:
  virtual ~StateStore() = default;
  // One consistent read: no write lands between its parts.
  virtual StoredState export_state() = 0;
  // Replaces all of it in one transaction; config revisions go on from the state's newest.
  virtual void import_state(const StoredState& state) = 0;
};

}  // namespace hub
