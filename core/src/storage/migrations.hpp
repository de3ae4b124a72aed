// Schema migrations: migrations/<backend>/NNNN_description.sql, compiled into
// the hub, applied at start in version order, each once and in a transaction
// of its own, and recorded in hub_schema_migrations.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace hub {

struct Migration {
  int version = 0;
  std::string name;  // "0001_seed_tables"
  std::string sql;
};

// Every embedded migration with its backend ("sqlite", "postgres").
const std::vector<std::pair<std::string, Migration>>& embedded_migrations();
// One backend's migrations, in version order.
std::vector<Migration> migrations_for(const std::string& backend);

// What a backend does for the runner.
class MigrationTarget {
 public:
  virtual ~MigrationTarget() = default;
  virtual std::string describe() const = 0;
  virtual void ensure_migrations_table() = 0;
  // The highest version applied and its name; nullopt for a new database.
  virtual std::optional<std::pair<int, std::string>> latest_migration() = 0;
  // Runs the migration and records it in one transaction; false when another
  // hub applied it first. On failure throws StorageError and leaves nothing of it.
  virtual bool apply(const Migration& migration) = 0;
};

// Applies what the database lacks and returns how many. Refuses, with
// StorageError, a database whose schema is newer than `migrations` know.
int run_migrations(MigrationTarget& target, const std::vector<Migration>& migrations);

}  // namespace hub
