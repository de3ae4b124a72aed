#include "sqlite_checkpointer.hpp"

#include <hub/errors.hpp>

#include <pthread.h>

namespace hub {

SqliteCheckpointer::SqliteCheckpointer(const std::filesystem::path& file, sqlite3* writer, const std::string& synchronous)
    : writer_(writer) {
  if (sqlite3_open_v2(file.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX, nullptr) != SQLITE_OK) {
    const std::string message = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    throw StorageError("sqlite " + file.string() + ": cannot open a second connection for checkpoints: " + message);
  }
  sqlite3_busy_timeout(db_, 5000);
  // The checkpoint syncs the database file as this connection's own setting says.
  sqlite3_exec(db_, ("PRAGMA synchronous=" + synchronous).c_str(), nullptr, nullptr, nullptr);
  sqlite3_wal_hook(writer_, &SqliteCheckpointer::on_commit, this);  // replaces SQLite's automatic checkpoint
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "hub-checkpoint");
    run();
  });
}

SqliteCheckpointer::~SqliteCheckpointer() {
  sqlite3_wal_hook(writer_, nullptr, nullptr);
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
  sqlite3_close(db_);  // not the last connection: the writer's close checkpoints and removes the WAL
}

int SqliteCheckpointer::on_commit(void* self, sqlite3*, const char*, int pages_in_wal) {
  auto* checkpointer = static_cast<SqliteCheckpointer*>(self);
  checkpointer->pages_in_wal_.store(pages_in_wal, std::memory_order_relaxed);
  // Past kPagesBeforeCatchUp the background stands aside: the writer's catch_up() needs the
  // checkpoint lock, and a background round always under way would keep it from ever ending.
  if (pages_in_wal < kPagesBeforeCheckpoint || pages_in_wal >= kPagesBeforeCatchUp) return SQLITE_OK;
  {
    std::lock_guard lock(checkpointer->mutex_);
    checkpointer->due_ = true;
  }
  checkpointer->wake_.notify_one();
  return SQLITE_OK;
}

void SqliteCheckpointer::catch_up() {
  if (pages_in_wal_.load(std::memory_order_relaxed) < kPagesBeforeCatchUp) return;
  int wal_pages = 0, copied = 0;
  sqlite3_wal_checkpoint_v2(writer_, nullptr, SQLITE_CHECKPOINT_PASSIVE, &wal_pages, &copied);
  pages_in_wal_.store(0, std::memory_order_relaxed);  // the next commit says how long the WAL is again
}

void SqliteCheckpointer::run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait(lock, [&] { return due_ || stopping_; });
    if (stopping_) return;
    due_ = false;
    lock.unlock();
    // PASSIVE copies what no reader still needs and waits for nobody; what it leaves, the next
    // round or the writer's catch_up() takes.
    int wal_pages = 0, copied = 0;
    sqlite3_wal_checkpoint_v2(db_, nullptr, SQLITE_CHECKPOINT_PASSIVE, &wal_pages, &copied);
    lock.lock();
  }
}

}  // namespace hub
