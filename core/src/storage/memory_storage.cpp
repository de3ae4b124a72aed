#include "storage.hpp"

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
};

}  // namespace

std::unique_ptr<Storage> open_memory_storage() {
  return std::make_unique<MemoryStorage>();
}

}  // namespace hub
