#include "storage.hpp"

#include <hub/errors.hpp>

#include <algorithm>
#include <atomic>
#include <deque>
#include <limits>
#include <map>
#include <mutex>
#include <tuple>

namespace hub {

namespace {

// Nothing outlives the process: for embedding and unit tests.
class MemoryStorage final : public Storage {
 public:
  std::string backend() const override { return "memory"; }
  ComponentStatus check() override { return {"healthy", "in memory; nothing survives a restart", 0}; }
  int migrate(const std::vector<Migration>&) override { return 0; }  // no schema to keep
  // Kept as the tables would keep them, so that a snapshot of an embedded hub holds them too; a
  // hub starting on a fresh memory storage reads nothing back.
  void save_writes(std::vector<Write>& writes) override {
    std::lock_guard lock(mutex_);
    for (Write& write : writes) std::visit([&](const auto& change) { keep(change, write); }, write.change);
  }
  void save_heartbeats(const std::vector<HeartbeatMark>& marks, const std::vector<MetricSample>&) override {
    std::lock_guard lock(mutex_);
    for (const HeartbeatMark& mark : marks)
      if (auto found = instances_.find({mark.service_name, mark.instance_id}); found != instances_.end())
        found->second.last_heartbeat_unix_us = mark.last_heartbeat_unix_us;
  }
  std::vector<InstanceRecord> load_instances() override {
    std::lock_guard lock(mutex_);
    std::vector<InstanceRecord> all;
    for (const auto& [key, record] : instances_) all.push_back(record);
    return all;
  }
  std::vector<ConfigVersion> load_config_versions() override {
    std::lock_guard lock(mutex_);
    std::vector<ConfigVersion> all;
    for (const auto& [key, version] : config_versions_) all.push_back(version);
    return all;
  }
  std::vector<ConfigChange> load_config_changes(int per_scope) override {
    std::lock_guard lock(mutex_);
    std::map<std::string, int> taken;
    std::vector<ConfigChange> newest_first;
    for (auto change = config_changes_.rbegin(); change != config_changes_.rend(); ++change)
      if (taken[change->scope]++ < per_scope) newest_first.push_back(*change);
    return {newest_first.rbegin(), newest_first.rend()};
  }

  StoredState export_state() override {
    StoredState state{load_instances(), load_config_versions(), load_config_changes(std::numeric_limits<int>::max()), load_rollouts(),
                      load_circuits()};
    return state;
  }
  void import_state(const StoredState& state) override {
    std::lock_guard lock(mutex_);
    instances_.clear();
    for (const InstanceRecord& record : state.instances) instances_[{record.service_name, record.instance_id}] = record;
    config_versions_.clear();
    for (const ConfigVersion& version : state.config_versions) config_versions_[{version.scope, version.version}] = version;
    config_changes_.assign(state.config_changes.begin(), state.config_changes.end());
    int64_t newest = 0;
    for (const ConfigChange& change : state.config_changes) newest = std::max(newest, change.revision);
    revision_ = newest;
    rollouts_.clear();
    for (const RolloutRecord& rollout : state.rollouts) rollouts_[rollout.id] = rollout;
    circuits_.clear();
    for (const CircuitRecord& circuit : state.circuits) circuits_[circuit.service] = circuit;
  }
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

  std::vector<HealthBucket> load_health_trend(bool infrastructure, const std::string& name, int64_t since_unix_us,
                                              int bucket_seconds) override {
    std::lock_guard lock(mutex_);
    const int64_t width = int64_t{bucket_seconds} * 1'000'000;
    std::map<std::pair<std::string, int64_t>, HealthBucket> buckets;
    for (const HealthRow& row : health_rows_) {
      if (row.infrastructure != infrastructure || row.unix_us <= since_unix_us || (!name.empty() && row.name != name)) continue;
      const int64_t start = row.unix_us / width * width;
      HealthBucket& bucket = buckets[{row.name, start}];
      bucket.name = row.name;
      bucket.start_unix_us = start;
      bucket.mean_latency_ms += (row.latency_ms - bucket.mean_latency_ms) / static_cast<double>(++bucket.checks);
      bucket.max_latency_ms = std::max(bucket.max_latency_ms, row.latency_ms);
      bucket.healthy += row.status == "healthy";
    }
    std::vector<HealthBucket> result;
    for (auto& [key, bucket] : buckets) result.push_back(std::move(bucket));
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

  void save_error_groups(const ErrorGroupChanges& changes) override {
    std::lock_guard lock(mutex_);
    for (const ErrorGroupRecord& group : changes.groups) error_groups_[group.fingerprint] = group;
    for (const std::string& fingerprint : changes.forgotten) error_groups_.erase(fingerprint);
    if (changes.forget_seen_before_unix_us)
      std::erase_if(error_groups_, [&](const auto& entry) { return entry.second.last_seen_unix_us < changes.forget_seen_before_unix_us; });
    for (const ErrorRateRecord& rate : changes.rates) error_rates_[rate.service] = rate;
  }
  StoredErrorGroups load_error_groups() override {
    std::lock_guard lock(mutex_);
    StoredErrorGroups stored;
    for (const auto& [fingerprint, group] : error_groups_) stored.groups.push_back(group);
    for (const auto& [service, rate] : error_rates_) stored.rates.push_back(rate);
    return stored;
  }

  void save_operation_timings(const std::vector<OperationTimingRecord>& timings) override {
    std::lock_guard lock(mutex_);
    for (const OperationTimingRecord& timing : timings) operation_timings_[{timing.service, timing.operation}] = timing;
  }
  std::vector<OperationTimingRecord> load_operation_timings() override {
    std::lock_guard lock(mutex_);
    std::vector<OperationTimingRecord> all;
    for (const auto& [key, timing] : operation_timings_) all.push_back(timing);
    return all;
  }

  void save_rollout(const RolloutRecord& rollout) override {
    std::lock_guard lock(mutex_);
    for (const auto& [id, other] : rollouts_)
      if (id != rollout.id && other.service == rollout.service && active(other) && active(rollout))
        throw StorageError("memory storage: service " + rollout.service + " already has an active rollout, " + id);
    auto [at, added] = rollouts_.try_emplace(rollout.id, rollout);
    if (!added) {
      at->second.phase = rollout.phase;
      at->second.document = rollout.document;
      at->second.updated_at_unix_us = rollout.updated_at_unix_us;
    }
  }
  std::vector<RolloutRecord> load_rollouts() override {
    std::lock_guard lock(mutex_);
    std::vector<RolloutRecord> all;
    for (const auto& [id, rollout] : rollouts_) all.push_back(rollout);
    std::sort(all.begin(), all.end(), [](const RolloutRecord& a, const RolloutRecord& b) {
      return std::tie(a.created_at_unix_us, a.id) < std::tie(b.created_at_unix_us, b.id);
    });
    return all;
  }
  void delete_rollouts(const std::vector<std::string>& ids) override {
    std::lock_guard lock(mutex_);
    for (const std::string& id : ids) rollouts_.erase(id);
  }

  void save_backup_run(const BackupRun& run) override {
    std::lock_guard lock(mutex_);
    auto& runs = backup_runs_[run.job];
    runs.push_front(run);
    if (runs.size() > kMaxRunsPerJob) runs.pop_back();
  }
  std::vector<BackupRun> load_backup_runs(int per_job) override {
    std::lock_guard lock(mutex_);
    std::vector<BackupRun> all;
    for (const auto& [job, runs] : backup_runs_)
      for (size_t i = 0; i < runs.size() && i < static_cast<size_t>(per_job); ++i) all.push_back(runs[i]);
    return all;
  }

 private:
  void keep(const InstanceRecord& record, Write&) { instances_[{record.service_name, record.instance_id}] = record; }
  void keep(const InstanceRemoval& removal, Write&) { instances_.erase({removal.service_name, removal.instance_id}); }
  void keep(const StatusChange& change, Write&) {
    if (auto found = instances_.find({change.service_name, change.instance_id}); found != instances_.end()) {
      found->second.status = change.status;
      found->second.down_since_unix_us = change.down_since_unix_us;
    }
  }
  void keep(const ConfigWrite& config, Write& write) {
    const ConfigChange& change = config.change;
    if (auto before = config_versions_.find({change.scope, config.previously_active}); before != config_versions_.end())
      before->second.active = false;
    if (config.added) config_versions_[{change.scope, config.added->version}] = *config.added;
    config_versions_[{change.scope, change.version}].active = true;
    std::erase_if(config_versions_, [&](const auto& entry) {
      return entry.first.first == change.scope && entry.first.second <= config.prune_through && !entry.second.active;
    });
    write.revision = ++revision_;
    ConfigChange stored = change;
    stored.revision = write.revision;
    config_changes_.push_back(stored);
    if (config_changes_.size() > kMaxConfigChanges) config_changes_.pop_front();
  }

  std::atomic<int64_t> revision_{0};
  std::map<std::pair<std::string, std::string>, InstanceRecord> instances_;
  std::map<std::pair<std::string, int64_t>, ConfigVersion> config_versions_;
  static constexpr size_t kMaxConfigChanges = 100'000;
  std::deque<ConfigChange> config_changes_;  // by revision
  std::map<std::string, CircuitRecord> circuits_;
  std::map<std::string, ErrorGroupRecord> error_groups_;
  std::map<std::string, ErrorRateRecord> error_rates_;
  std::map<std::pair<std::string, std::string>, OperationTimingRecord> operation_timings_;
  static bool active(const RolloutRecord& rollout) {
    return rollout.phase == "progressing" || rollout.phase == "paused" || rollout.phase == "rolling_back";
  }
  std::map<std::string, RolloutRecord> rollouts_;
  static constexpr size_t kMaxRunsPerJob = 1000;
  std::map<std::string, std::deque<BackupRun>> backup_runs_;
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
