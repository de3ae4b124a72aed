// What deployments ask of storage: each rollout's state, written whole at every change. Every
// call is one transaction or a StorageError.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace hub {

struct RolloutRecord {
  std::string id;
  std::string service;
  std::string phase;     // progressing, paused, rolling_back (active); succeeded, rolled_back, aborted, failed
  std::string document;  // the rollout as JSON (deployments/rollout_json.hpp)
  int64_t created_at_unix_us = 0;
  int64_t updated_at_unix_us = 0;
};

class RolloutStore {
 public:
  virtual ~RolloutStore() = default;
  // Replaces the rollout's row. Storage refuses (StorageError) a second active rollout of a service.
  virtual void save_rollout(const RolloutRecord& rollout) = 0;
  virtual std::vector<RolloutRecord> load_rollouts() = 0;  // oldest first
  virtual void delete_rollouts(const std::vector<std::string>& ids) = 0;
};

}  // namespace hub
