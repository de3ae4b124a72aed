// Several hubs on one PostgreSQL: each follows the database's change feed on a thread of its own
// and takes the other hubs' stored changes into memory (the registry's instances, the configs), so
// every hub serves every change. NOTIFY wakes it; it also reads the feed every `poll` in case a
// notification was lost with its connection. After a gap longer than the feed keeps, or at its
// first read, it reloads everything instead.
#pragma once

#include "config/config_store.hpp"
#include "registry/registry.hpp"
#include "storage/storage.hpp"

#include <spdlog/logger.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>

namespace hub::cluster {

class ChangeFollower {
 public:
  ChangeFollower(Storage& feed, Registry* registry, config::ConfigStore& configs, std::shared_ptr<spdlog::logger> logger,
                 std::chrono::milliseconds poll = std::chrono::milliseconds(1000));
  ~ChangeFollower();  // stops the thread
  ChangeFollower(const ChangeFollower&) = delete;
  ChangeFollower& operator=(const ChangeFollower&) = delete;

  // Begins after `revision`, the feed's newest when the hub began restoring from storage: what came
  // before is in what it restored, and a change in between is taken in twice, to the same end.
  void start(int64_t revision);
  void stop();

  // The last revision taken in, and the feed's newest when it was last read: their difference is
  // this hub's lag behind the database.
  int64_t applied() const { return applied_.load(); }
  int64_t latest() const { return latest_.load(); }
  // Reads and applies what is new now, on the caller's thread; false when storage failed.
  bool catch_up();

 private:
  void run();
  void apply(const FeedChange& change);
  void reload_everything();

  Storage& feed_;
  Registry* registry_;  // nullptr when the hub has no registry
  config::ConfigStore& configs_;
  std::shared_ptr<spdlog::logger> logger_;
  const std::chrono::milliseconds poll_;
  std::atomic<int64_t> applied_{0}, latest_{0};
  std::mutex catching_up_;  // one reader at a time: changes are applied in order
  std::atomic<bool> stopping_{false};
  bool failing_ = false;
  std::thread thread_;
};

}  // namespace hub::cluster
