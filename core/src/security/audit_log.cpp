#include "audit_log.hpp"

#include "basics/json_text.hpp"
#include "basics/time_text.hpp"

namespace hub::security {

namespace {

constexpr int64_t kPruneEveryUs = 3600LL * 1'000'000;

std::string line_of(const AuditEntry& entry) {
  return "{\"at\":" + json_quote(rfc3339_utc(entry.at_unix_us)) + ",\"token\":" + json_quote(entry.token_id) +
         ",\"description\":" + json_quote(entry.token_description) + ",\"role\":" + json_quote(entry.role) +
         ",\"address\":" + json_quote(entry.address) + ",\"action\":" + json_quote(entry.action) +
         ",\"target\":" + json_quote(entry.target) + ",\"status\":" + std::to_string(entry.status) +
         ",\"message\":" + json_quote(entry.message) + "}";
}

}  // namespace

AuditLog::AuditLog(SecurityStore& store, const Clock& clock, std::shared_ptr<spdlog::logger> logger, int retention_days)
    : store_(store), clock_(clock), logger_(std::move(logger)), retention_us_(int64_t{retention_days} * 86'400 * 1'000'000) {}

void AuditLog::record(AuditEntry entry) {
  if (!entry.at_unix_us) entry.at_unix_us = clock_.now_unix_us();
  if (logger_->should_log(spdlog::level::info)) logger_->info("audit {}", line_of(entry));
  std::lock_guard lock(mutex_);
  if (waiting_.size() >= kMaxWaiting) {
    waiting_.pop_front();
    ++dropped_;
  }
  waiting_.emplace_back(++sequence_, std::move(entry));
}

// In chunks, each a transaction of its own: storing a second's worth of busy writes at once would
// hold SQLite's write lock (or PostgreSQL's connection) long enough to stall the group commit.
void AuditLog::flush() {
  std::lock_guard flushing(flushing_);
  uint64_t until = 0;  // what waits now; entries that come meanwhile wait for the next pass
  {
    std::lock_guard lock(mutex_);
    if (!waiting_.empty()) until = waiting_.back().first;
  }
  for (;;) {
    std::vector<AuditEntry> chunk;
    uint64_t last = 0;
    {
      std::lock_guard lock(mutex_);
      for (const auto& [sequence, entry] : waiting_) {
        if (chunk.size() == kChunk || sequence > until) break;
        chunk.push_back(entry);
        last = sequence;
      }
    }
    if (chunk.empty()) break;
    store_.save_audit(chunk);
    // Entries may have been dropped off the front meanwhile, and others added: only what was stored goes.
    std::lock_guard lock(mutex_);
    while (!waiting_.empty() && waiting_.front().first <= last) waiting_.pop_front();
  }
  const int64_t now = clock_.now_unix_us();
  if (now >= next_prune_us_) {
    store_.prune_audit(now - retention_us_);
    next_prune_us_ = now + kPruneEveryUs;
  }
}

std::vector<AuditEntry> AuditLog::since(int64_t since_unix_us, size_t limit) {
  flush();
  return store_.load_audit(since_unix_us, limit);
}

uint64_t AuditLog::dropped() const {
  std::lock_guard lock(mutex_);
  return dropped_;
}

}  // namespace hub::security
