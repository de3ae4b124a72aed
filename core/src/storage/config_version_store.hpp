// What the config store reads from storage; its changes are Writes
// (write.hpp). Every call is one transaction: it happens whole or throws
// StorageError and changes nothing.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace hub {

// The global config's rows in service_configs carry this name, which no service can have.
inline constexpr const char* kGlobalConfigScope = "*";

struct ConfigVersion {
  std::string scope;    // a service name, or kGlobalConfigScope
  int64_t version = 0;  // 1, 2, … per scope
  std::string content;  // a JSON object
  std::string created_by;
  int64_t created_at_unix_us = 0;
  bool active = false;
};

// A change of which version of a scope is active: an update or a rollback.
struct ConfigChange {
  int64_t revision = 0;  // hub-wide and increasing, given by the store: what watchers compare
  std::string scope;
  int64_t version = 0;  // the version made active
  std::string action;   // "update" or "rollback"
  std::string created_by;
  int64_t at_unix_us = 0;
};

class ConfigVersionStore {
 public:
  virtual ~ConfigVersionStore() = default;
  virtual std::vector<ConfigVersion> load_config_versions() = 0;
  // The latest `per_scope` changes of every scope, oldest first.
  virtual std::vector<ConfigChange> load_config_changes(int per_scope) = 0;
};

}  // namespace hub
