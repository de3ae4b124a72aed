// Where the hub keeps durable state. One interface, three backends: memory
// (embedding and tests), sqlite (the embedded default) and postgres.
#pragma once

#include "backup_store.hpp"
#include "change_feed_store.hpp"
#include "basics/component_status.hpp"
#include "circuit_store.hpp"
#include "config_version_store.hpp"
#include "error_group_store.hpp"
#include "health_store.hpp"
#include "migrations.hpp"
#include "performance_store.hpp"
#include "registry_store.hpp"
#include "rollout_store.hpp"
#include "security_store.hpp"
#include "state_store.hpp"
#include "write.hpp"

#include <hub/storage_settings.hpp>

#include <memory>
#include <string>

namespace hub {

class Storage : public RegistryStore,
                public ConfigVersionStore,
                public HealthStore,
                public WriteStore,
                public SecurityStore,
                public CircuitStore,
                public RolloutStore,
                public BackupStore,
                public StateStore,
                public ErrorGroupStore,
                public PerformanceStore,
                public ChangeFeedStore {
 public:
  virtual ~Storage() = default;
  virtual std::string backend() const = 0;
  // A round trip to the store, reconnecting first if the link was lost.
  virtual ComponentStatus check() = 0;
  // Brings the schema up to `migrations`; returns how many were applied.
  virtual int migrate(const std::vector<Migration>& migrations) = 0;
};

// Opens the configured backend; throws StorageError saying what failed.
std::unique_ptr<Storage> open_storage(const StorageSettings& settings);

std::unique_ptr<Storage> open_memory_storage();
std::unique_ptr<Storage> open_sqlite_storage(const std::filesystem::path& file,
                                             StorageSettings::SqliteSync synchronous = StorageSettings::SqliteSync::normal);
std::unique_ptr<Storage> open_postgres_storage(const PostgresSettings& settings);

}  // namespace hub
