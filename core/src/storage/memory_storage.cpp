#include "storage.hpp"

namespace hub {

namespace {

// Nothing outlives the process: for embedding and unit tests.
class MemoryStorage final : public Storage {
 public:
  std::string backend() const override { return "memory"; }
  ComponentStatus check() override { return {"healthy", "in memory; nothing survives a restart", 0}; }
  int migrate(const std::vector<Migration>&) override { return 0; }  // no schema to keep
};

}  // namespace

std::unique_ptr<Storage> open_memory_storage() {
  return std::make_unique<MemoryStorage>();
}

}  // namespace hub
