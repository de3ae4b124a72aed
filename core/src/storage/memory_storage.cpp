#include "storage.hpp"

#include <hub/errors.hpp>

#include <atomic>
#include <deque>
#include <map>
#include <mutex>

namespace hub {

namespace {

// Nothing outlives the process: for embedding and unit tests.
class MemoryStorage final : public Storage {
 public:
  std::string backend() const override { return "memory"; }
  ComponentStatus check() override { return {"healthy", "in memory; nothing survives a restart", 0}; }
  int migrate(const std::vector<Migration>&) override { return 0; }  // no schema to keep
  // The registry's and the config store's memory is the only copy; config revisions still increase.
  void save_writes(std::vector<Write>& writes) override {
    for (Write& write : writes)
      if (std::holds_alternative<ConfigWrite>(write.change)) write.revision = ++revision_;
  }
  void save_heartbeats(const std::vector<HeartbeatMark>&, const std::vector<MetricSample>&) override {}
  std::vector<InstanceRecord> load_instances() override { return {}; }
  std::vector<ConfigVersion> load_config_versions() override { return {}; }
  std::vector<ConfigChange> load_config_changes(int) override { return {}; }
  // Kept so uptime works embedded too; pruned by retention like the tables.
  void save_health_rows(const std::vector<HealthRow>& rows) override {
    std::lock_guard lock(mutex_);
    health_rows_.insert(health_rows_.end(), rows.begin(), rows.end());
  }
  void prune_health_rows(int64_t older_than_unix_us) override {
    std::lock_guard lock(mutex_);
    std::erase_if(health_rows_, [&](const HealthRow& row) { return row.unix_us < older_than_unix_us; });
  }
  std::vector<UptimeCount> load_uptime(int64_t since_unix_us) override {
    std::lock_guard lock(mutex_);
    std::map<std::string, UptimeCount> counts;
    for (const HealthRow& row : health_rows_) {
      if (row.infrastructure || row.unix_us <= since_unix_us) continue;
      UptimeCount& count = counts[row.name];
      count.service = row.name;
      ++count.total;
      count.healthy += row.status == "healthy";
    }
    std::vector<UptimeCount> result;
    for (auto& [name, count] : counts) result.push_back(count);
    return result;
  }

  // Tokens and the audit trail live as long as the process, like everything here.
  void save_token(const TokenRecord& token) override {
    std::lock_guard lock(mutex_);
    for (const TokenRecord& kept : tokens_)
      if (kept.id == token.id || kept.sha256 == token.sha256) throw StorageError("memory: token " + token.id + " already exists");
    tokens_.push_back(token);
  }
  std::vector<TokenRecord> load_tokens() override {
    std::lock_guard lock(mutex_);
    return tokens_;
  }
  bool revoke_token(const std::string& id, int64_t at_unix_us) override {
    std::lock_guard lock(mutex_);
    for (TokenRecord& token : tokens_)
      if (token.id == id) {
        if (!token.revoked_at_unix_us) token.revoked_at_unix_us = at_unix_us;
        return true;
      }
    return false;
  }
  void save_audit(const std::vector<AuditEntry>& entries) override {
    std::lock_guard lock(mutex_);
    for (AuditEntry entry : entries) {
      entry.id = ++audit_id_;
      audit_.push_back(std::move(entry));
    }
    // Memory is not an archive: past the cap the oldest entries go (they were logged too).
    while (audit_.size() > kMaxAuditEntries) audit_.pop_front();
  }
  std::vector<AuditEntry> load_audit(int64_t since_unix_us, size_t limit) override {
    std::lock_guard lock(mutex_);
    std::vector<AuditEntry> found;
    for (const AuditEntry& entry : audit_)
      if (entry.at_unix_us >= since_unix_us && found.size() < limit) found.push_back(entry);
    return found;
  }
  void prune_audit(int64_t older_than_unix_us) override {
    std::lock_guard lock(mutex_);
    std::erase_if(audit_, [&](const AuditEntry& entry) { return entry.at_unix_us < older_than_unix_us; });
  }

  void save_circuits(const std::vector<CircuitRecord>& circuits) override {
    std::lock_guard lock(mutex_);
    for (const CircuitRecord& circuit : circuits)
      if (circuit.state == "CLOSED")
        circuits_.erase(circuit.service);
      else
        circuits_[circuit.service] = circuit;
  }
  std::vector<CircuitRecord> load_circuits() override {
    std::lock_guard lock(mutex_);
    std::vector<CircuitRecord> all;
    for (const auto& [service, circuit] : circuits_) all.push_back(circuit);
    return all;
  }

 private:
  std::atomic<int64_t> revision_{0};
  std::map<std::string, CircuitRecord> circuits_;
  std::mutex mutex_;
  std::vector<HealthRow> health_rows_;
  std::vector<TokenRecord> tokens_;
  static constexpr size_t kMaxAuditEntries = 100'000;
  std::deque<AuditEntry> audit_;
  int64_t audit_id_ = 0;
};

}  // namespace

std::unique_ptr<Storage> open_memory_storage() {
  return std::make_unique<MemoryStorage>();
}

}  // namespace hub
