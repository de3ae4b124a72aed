// A durable change the registry or the config store makes. Writes are committed
// in groups (GroupCommit): one transaction for the group, each write in a
// savepoint of its own, so a write that fails is rolled back alone.
#pragma once

#include "config_version_store.hpp"
#include "instance_record.hpp"

#include <hub/status.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace hub {

struct InstanceRemoval {
  std::string service_name, instance_id;
};

struct StatusChange {
  std::string service_name, instance_id, status;
  int64_t down_since_unix_us = 0;  // 0 unless down
};

// Adds `added` when given, makes change.version the scope's active version in place of
// `previously_active` (0: none), deletes the scope's inactive versions numbered up to
// `prune_through`, and records `change`.
struct ConfigWrite {
  std::optional<ConfigVersion> added;
  ConfigChange change;
  int64_t prune_through = 0;
  int64_t previously_active = 0;
};

struct Write {
  std::variant<InstanceRecord, InstanceRemoval, StatusChange, ConfigWrite> change;
  // Ok once stored. Otherwise nothing of it was: aborted (reason write_refused) when storage
  // refused this write alone (a constraint), unavailable (reason storage_unavailable) when the
  // group's transaction could not commit.
  Status outcome;
  int64_t revision = 0;  // a config change's, given by storage
};

// The outcome of a write its savepoint rolled back.
inline Status write_refused(std::string why) {
  return {Code::aborted, std::move(why), "write_refused"};
}

class WriteStore {
 public:
  virtual ~WriteStore() = default;
  // Stores `writes` in one transaction, in order, each in a savepoint of its own: a write whose
  // statements fail is rolled back alone, its outcome write_refused(why); the others commit. Throws
  // StorageError when the transaction itself cannot commit: then none of them was stored.
  virtual void save_writes(std::vector<Write>& writes) = 0;
};

}  // namespace hub
