#include "storage.hpp"

#include <hub/errors.hpp>

#include <sqlite3.h>

#include <chrono>
#include <mutex>
#include <optional>

namespace hub {

namespace {

class SqliteStorage final : public Storage, private MigrationTarget {
 public:
  explicit SqliteStorage(const std::filesystem::path& file) : file_(file) {
    std::error_code ignored;
    if (file.has_parent_path()) std::filesystem::create_directories(file.parent_path(), ignored);
    if (sqlite3_open_v2(file.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, nullptr) != SQLITE_OK) {
      std::string message = db_ ? sqlite3_errmsg(db_) : "out of memory";
      sqlite3_close(db_);
      throw StorageError("sqlite " + file.string() + ": cannot open: " + message);
    }
    sqlite3_busy_timeout(db_, 5000);
    // WAL lets readers run beside the single writer; NORMAL sync is durable at each commit in WAL mode
    // against process crashes, which is what acknowledged writes need.
    execute("PRAGMA journal_mode=WAL");
    execute("PRAGMA synchronous=NORMAL");
    execute("PRAGMA foreign_keys=ON");
  }
  ~SqliteStorage() override { sqlite3_close(db_); }

  std::string backend() const override { return "sqlite"; }

  ComponentStatus check() override {
    const auto started = std::chrono::steady_clock::now();
    try {
      execute("SELECT 1");
    } catch (const StorageError& error) {
      return {"down", error.what(), 0};
    }
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
    return {"healthy", file_.string(), ms};
  }

  int migrate(const std::vector<Migration>& migrations) override { return run_migrations(*this, migrations); }

 private:
  std::string describe() const override { return "sqlite " + file_.string(); }

  void ensure_migrations_table() override {
    execute(
        "CREATE TABLE IF NOT EXISTS hub_schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
        "applied_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP)");
  }

  std::optional<std::pair<int, std::string>> latest_migration() override {
    std::lock_guard lock(mutex_);
    sqlite3_stmt* statement = nullptr;
    sqlite3_prepare_v2(db_, "SELECT version, name FROM hub_schema_migrations ORDER BY version DESC LIMIT 1", -1, &statement, nullptr);
    std::optional<std::pair<int, std::string>> latest;
    if (sqlite3_step(statement) == SQLITE_ROW)
      latest.emplace(sqlite3_column_int(statement, 0), reinterpret_cast<const char*>(sqlite3_column_text(statement, 1)));
    sqlite3_finalize(statement);
    return latest;
  }

  bool apply(const Migration& migration) override {
    // IMMEDIATE takes the write lock first, so two hubs on one file cannot both apply it.
    execute("BEGIN IMMEDIATE");
    try {
      auto latest = latest_migration();
      if (latest && latest->first >= migration.version) {
        execute("ROLLBACK");
        return false;
      }
      execute(migration.sql.c_str());
      execute(
          ("INSERT INTO hub_schema_migrations (version, name) VALUES (" + std::to_string(migration.version) + ", '" + migration.name + "')")
              .c_str());
      execute("COMMIT");
      return true;
    } catch (const StorageError& error) {
      execute("ROLLBACK");
      throw StorageError(describe() + ": migration " + migration.name + " failed, nothing of it was applied: " + error.what());
    }
  }

  void execute(const char* sql) {
    std::lock_guard lock(mutex_);
    char* error = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &error) != SQLITE_OK) {
      std::string message = error ? error : "unknown error";
      sqlite3_free(error);
      throw StorageError("sqlite " + file_.string() + ": " + sql + ": " + message);
    }
  }

  std::filesystem::path file_;
  sqlite3* db_ = nullptr;
  std::mutex mutex_;
};

}  // namespace

std::unique_ptr<Storage> open_sqlite_storage(const std::filesystem::path& file) {
  return std::make_unique<SqliteStorage>(file);
}

}  // namespace hub
