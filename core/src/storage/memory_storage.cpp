#include "storage.hpp"

#include <atomic>

namespace hub {

namespace {

// Nothing outlives the process: for embedding and unit tests.
class MemoryStorage final : public Storage {
 public:
  std::string backend() const override { return "memory"; }
  ComponentStatus check() override { return {"healthy", "in memory; nothing survives a restart", 0}; }
  int migrate(const std::vector<Migration>&) override { return 0; }  // no schema to keep
  // The registry's memory is the only copy.
  void save_instance(const InstanceRecord&) override {}
  void delete_instance(const std::string&, const std::string&) override {}
  void save_status(const std::string&, const std::string&, const std::string&, int64_t) override {}
  void save_heartbeats(const std::vector<HeartbeatMark>&, const std::vector<MetricSample>&) override {}
  std::vector<InstanceRecord> load_instances() override { return {}; }
  // The config store's memory is the only copy; revisions still increase.
  int64_t save_config_change(const ConfigVersion*, const ConfigChange&, int64_t) override { return ++revision_; }
  std::vector<ConfigVersion> load_config_versions() override { return {}; }
  std::vector<ConfigChange> load_config_changes(int) override { return {}; }

 private:
  std::atomic<int64_t> revision_{0};
};

}  // namespace

std::unique_ptr<Storage> open_memory_storage() {
  return std::make_unique<MemoryStorage>();
}

}  // namespace hub
