#include "storage.hpp"

#include <atomic>
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

 private:
  std::atomic<int64_t> revision_{0};
  std::mutex mutex_;
  std::vector<HealthRow> health_rows_;
};

}  // namespace

std::unique_ptr<Storage> open_memory_storage() {
  return std::make_unique<MemoryStorage>();
}

}  // namespace hub
