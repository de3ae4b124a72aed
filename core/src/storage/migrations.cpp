#include "migrations.hpp"

#include <hub/errors.hpp>

namespace hub {

std::vector<Migration> migrations_for(const std::string& backend) {
  std::vector<Migration> selected;
  for (const auto& [owner, migration] : embedded_migrations())
    if (owner == backend) selected.push_back(migration);
  return selected;
}

int run_migrations(MigrationTarget& target, const std::vector<Migration>& migrations) {
  target.ensure_migrations_table();
  const auto latest = target.latest_migration();
  const int known = migrations.empty() ? 0 : migrations.back().version;
  if (latest && latest->first > known)
    throw StorageError(target.describe() + ": the database's schema is at migration " + latest->second + ", newer than this hub knows (" +
                       (migrations.empty() ? std::string("none") : migrations.back().name) +
                       "); run the hub release that wrote it, or a newer one");
  int applied = 0;
  for (const Migration& migration : migrations)
    if ((!latest || migration.version > latest->first) && target.apply(migration)) ++applied;
  return applied;
}

}  // namespace hub
