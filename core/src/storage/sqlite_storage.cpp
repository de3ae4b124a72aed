#include "storage.hpp"

#include <hub/errors.hpp>

#include <sqlite3.h>

#include <chrono>
#include <mutex>

namespace hub {

namespace {

class SqliteStorage final : public Storage {
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

 private:
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
