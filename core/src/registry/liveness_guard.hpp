// The mass-expiry guard. When more of the live instances would go down within
// one window than a healthy fleet loses at once, the likelier fault is the
// hub's (its network, its own outage) and not the fleet's: it holds every
// expiry until heartbeats return or an operator confirms the deaths are real.
// Eureka's self-preservation and Nacos's protectThreshold answer the same risk.
//
//   LivenessGuard guard(settings);
//   auto decision = guard.decide(now_us, live, would_expire);
//   if (!decision.hold) { apply(); guard.expired(now_us, applied); }
#pragma once

#include <hub/liveness_settings.hpp>

#include <cstddef>

#include <cstdint>
#include <deque>
#include <utility>

namespace hub {

class LivenessGuard {
 public:
  explicit LivenessGuard(const LivenessSettings& settings);

  // Over the window: instances that were live at its start, and those of them that went or would go down.
  struct Figures {
    size_t live = 0;
    size_t expiring = 0;
    int percent() const { return live ? static_cast<int>(expiring * 100 / live) : 0; }
  };
  enum class Change { none, suspended, resumed, confirmed };
  struct Decision {
    bool hold = false;
    Change change = Change::none;
    Figures figures;
  };
  // A pass found `live` instances not down, of which `expiring` would go down now.
  Decision decide(int64_t now_us, size_t live, size_t expiring);
  // The pass took `count` instances down.
  void expired(int64_t now_us, size_t count);
  // An operator says the deaths are real: the next pass expires what it holds. False when nothing is held.
  bool confirm();

  bool holding() const { return holding_; }
  int64_t holding_since_us() const { return since_us_; }
  Figures last() const { return last_; }

 private:
  size_t recent(int64_t now_us);

  LivenessSettings settings_;
  std::deque<std::pair<int64_t, size_t>> expired_;  // (when, how many), newest last
  bool holding_ = false;
  bool confirmed_ = false;
  int64_t since_us_ = 0;
  Figures last_;
};

}  // namespace hub
