// The audit trail: every write the hub is asked for, allowed or refused. Each entry is logged at
// once as one line ("audit {json}") and stored at the next housekeeping pass, in one transaction
// per pass rather than one per write, so auditing costs the write path a copy and no round trip.
// While storage is down entries wait in memory, up to a cap; past it the oldest are dropped and
// counted (they were logged).
#pragma once

#include "storage/security_store.hpp"

#include <hub/clock.hpp>

#include <spdlog/logger.h>

#include <deque>
#include <memory>
#include <mutex>
#include <vector>

namespace hub::security {

class AuditLog {
 public:
  AuditLog(SecurityStore& store, const Clock& clock, std::shared_ptr<spdlog::logger> logger, int retention_days);

  void record(AuditEntry entry);  // any thread; `at` is set if zero
  // Stores what is waiting, and prunes past the retention once an hour. Throws StorageError and
  // keeps the entries for the next pass.
  void flush();
  // Stored entries from `since`, oldest first; flushes first so the caller sees its own writes.
  std::vector<AuditEntry> since(int64_t since_unix_us, size_t limit);
  uint64_t dropped() const;

  static constexpr size_t kMaxWaiting = 100'000;
  static constexpr size_t kChunk = 256;  // entries per transaction

 private:
  SecurityStore& store_;
  const Clock& clock_;
  std::shared_ptr<spdlog::logger> logger_;
  const int64_t retention_us_;
  std::mutex flushing_;  // one flush at a time, so entries reach storage in their order
  mutable std::mutex mutex_;
  std::deque<std::pair<uint64_t, AuditEntry>> waiting_;  // in order of a sequence number
  uint64_t sequence_ = 0;
  uint64_t dropped_ = 0;
  int64_t next_prune_us_ = 0;
};

}  // namespace hub::security
