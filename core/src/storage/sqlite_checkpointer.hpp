// Checkpoints a SQLite database's WAL on a thread and a connection of its own.
// Left to itself SQLite checkpoints inside the commit that fills the WAL, copy
// and fsync included, and every write of that group waits for it: measured
// with config updates, that cost 15% of the rate and doubled p99. A passive
// checkpoint beside the writer blocks nobody; durability is the WAL's either way.
//
// A busy writer appends while the background copies, so the copy never quite
// ends and the WAL, which starts over only when all of it was copied, grows.
// catch_up() closes the gap from the writer's side between two transactions:
// what is left to copy is what came since the last background round.
#pragma once

#include <sqlite3.h>

#include <atomic>
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
  // Called by the writer before a transaction, with no other on its connection: once the WAL is
  // long, copies the rest of it, so the transaction starts the WAL over from its beginning.
  void catch_up();
  ~SqliteCheckpointer();
  SqliteCheckpointer(const SqliteCheckpointer&) = delete;
  SqliteCheckpointer& operator=(const SqliteCheckpointer&) = delete;

 private:
  static constexpr int kPagesBeforeCheckpoint = 1000;  // SQLite's own default
  static constexpr int kPagesBeforeCatchUp = 8000;     // 32 MiB of WAL at 4 KiB pages
  static int on_commit(void* self, sqlite3* db, const char* name, int pages_in_wal);
  void run();

  sqlite3* writer_;
  sqlite3* db_ = nullptr;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool due_ = false;
  std::atomic<int> pages_in_wal_{0};  // after the writer's last commit
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace hub
