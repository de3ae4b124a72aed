// Checkpoints a SQLite database's WAL on a thread and a connection of its own.
// Left to itself SQLite checkpoints inside the commit that fills the WAL, copy
// and fsync included, and every write of that group waits for it: measured
// with config updates, that cost 15% of the rate and doubled p99. A passive
// checkpoint beside the writer blocks nobody; durability is the WAL's either way.
#pragma once

#include <sqlite3.h>

#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>

namespace hub {

class SqliteCheckpointer {
 public:
  // Takes over checkpointing from `writer`'s connection; `synchronous` is its PRAGMA value.
  SqliteCheckpointer(const std::filesystem::path& file, sqlite3* writer, const std::string& synchronous);
  ~SqliteCheckpointer();
  SqliteCheckpointer(const SqliteCheckpointer&) = delete;
  SqliteCheckpointer& operator=(const SqliteCheckpointer&) = delete;

 private:
  static constexpr int kPagesBeforeCheckpoint = 1000;  // SQLite's own default
  static constexpr int kPagesBeforeRestart = 16000;    // 64 MiB of WAL at 4 KiB pages
  static int on_commit(void* self, sqlite3* db, const char* name, int pages_in_wal);
  void run();

  sqlite3* writer_;
  sqlite3* db_ = nullptr;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool due_ = false;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace hub
