// Several hubs on one PostgreSQL know each other: each beats its row in hub_members every second
// (in the database's time) and reads back every hub that beat within the last few seconds. From
// that list every hub builds the same hash ring, so the health checks are shared out without the
// hubs talking to each other; a hub that stops, dies or loses the database drops out of the others'
// rings within `alive_within`, and its share moves to them.
#pragma once

#include "hash_ring.hpp"
#include "storage/storage.hpp"

#include <spdlog/logger.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace hub::cluster {

class Membership {
 public:
  struct Settings {
    std::chrono::milliseconds beat_every{1000};
    std::chrono::seconds alive_within{5};
  };
  // `applied` reads this hub's feed revision at each beat; `changed` is called with the new ring (on
  // the membership's thread) whenever the hubs change.
  Membership(Storage& storage, std::function<int64_t()> applied, std::function<void(std::shared_ptr<const HashRing>)> changed,
             std::shared_ptr<spdlog::logger> logger, Settings settings);
  ~Membership();  // stops the thread
  Membership(const Membership&) = delete;
  Membership& operator=(const Membership&) = delete;

  // Beats once on the caller's thread (so the ring is known before the first health check), then
  // every `beat_every` on a thread of its own. `self` is this hub's row: its id, where its API
  // listens, its version and start.
  void start(MemberRecord self);
  // Stops beating and deletes this hub's row, so the others take its share at once.
  void stop();
  // Beats and reads the live hubs now; false when storage failed (the last ring stands).
  bool beat();

  std::vector<MemberRecord> members() const;  // as last read, by hub id

 private:
  void run();

  Storage& storage_;
  MemberRecord self_;
  std::function<int64_t()> applied_;
  std::function<void(std::shared_ptr<const HashRing>)> changed_;
  std::shared_ptr<spdlog::logger> logger_;
  const Settings settings_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  bool failing_ = false;
  std::vector<MemberRecord> members_;
  std::vector<std::string> ids_;  // the ring's members, as last handed to `changed`
  std::thread thread_;
};

}  // namespace hub::cluster
