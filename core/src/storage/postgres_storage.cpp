#include "storage.hpp"

#include <hub/errors.hpp>

#include <pqxx/pqxx>

#include <chrono>
#include <mutex>
#include <optional>

namespace hub {

namespace {

class PostgresStorage final : public Storage, private MigrationTarget {
 public:
  explicit PostgresStorage(const PostgresSettings& settings) : settings_(settings) {
    try {
      connection_ = std::make_unique<pqxx::connection>(settings_.connection_string());
    } catch (const std::exception& error) {
      throw StorageError(describe() + ": cannot connect: " + first_line(error.what()));
    }
  }

  std::string backend() const override { return "postgres"; }

  ComponentStatus check() override {
    std::lock_guard lock(mutex_);
    const auto started = std::chrono::steady_clock::now();
    try {
      if (!connection_ || !connection_->is_open()) connection_ = std::make_unique<pqxx::connection>(settings_.connection_string());
      pqxx::nontransaction query(*connection_);
      query.exec("SELECT 1");
    } catch (const std::exception& error) {
      connection_.reset();  // reconnect on the next check
      return {"down", location() + ": " + first_line(error.what()), 0};
    }
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
    return {"healthy", location(), ms};
  }

  int migrate(const std::vector<Migration>& migrations) override {
    std::lock_guard lock(mutex_);
    return run_migrations(*this, migrations);
  }

 private:
  // Several hubs may share one database: schema changes run under this advisory lock.
  static constexpr long long kMigrationLock = 0x48554253434d41LL;  // "HUBSCMA"

  std::string describe() const override { return "postgres " + location(); }
  std::string location() const {
    return settings_.user + "@" + settings_.host + ":" + std::to_string(settings_.port) + "/" + settings_.dbname;
  }
  static std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

  void ensure_migrations_table() override {
    pqxx::work tx(*connection_);
    tx.exec("SELECT pg_advisory_xact_lock(" + std::to_string(kMigrationLock) + ")");
    tx.exec(
        "CREATE TABLE IF NOT EXISTS hub_schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
        "applied_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP)");
    tx.commit();
  }

  std::optional<std::pair<int, std::string>> latest_migration() override {
    pqxx::nontransaction query(*connection_);
    const pqxx::result rows = query.exec("SELECT version, name FROM hub_schema_migrations ORDER BY version DESC LIMIT 1");
    if (rows.empty()) return std::nullopt;
    return std::make_pair(rows[0][0].as<int>(), rows[0][1].as<std::string>());
  }

  bool apply(const Migration& migration) override {
    try {
      pqxx::work tx(*connection_);
      tx.exec("SELECT pg_advisory_xact_lock(" + std::to_string(kMigrationLock) + ")");
      if (!tx.exec("SELECT 1 FROM hub_schema_migrations WHERE version >= " + std::to_string(migration.version)).empty()) return false;
      tx.exec(migration.sql);
      tx.exec("INSERT INTO hub_schema_migrations (version, name) VALUES (" + std::to_string(migration.version) + ", " +
              tx.quote(migration.name) + ")");
      tx.commit();
      return true;
    } catch (const std::exception& error) {
      throw StorageError(describe() + ": migration " + migration.name + " failed, nothing of it was applied: " + first_line(error.what()));
    }
  }

  PostgresSettings settings_;
  std::mutex mutex_;
  std::unique_ptr<pqxx::connection> connection_;
};

}  // namespace

std::unique_ptr<Storage> open_postgres_storage(const PostgresSettings& settings) {
  return std::make_unique<PostgresStorage>(settings);
}

}  // namespace hub
