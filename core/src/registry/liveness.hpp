// The liveness pass: asks the manifest's liveness policy about each
// self-registered instance and carries out what it decides, under two rules of
// the core's that keep the hub's own outages from becoming the fleet's.
//
// - Grace: time the hub could not hear an instance is not counted against it.
//   After the hub starts (and after storage comes back, or a hub takes over
//   liveness), an instance not heard from since is silent only from then plus
//   one heartbeat interval; a down instance's time to removal starts then too.
// - The mass-expiry guard (liveness_guard.hpp): too many expiries at once are
//   held, with one liveness.suspended event, until heartbeats return or an
//   operator confirms.
#pragma once

#include "liveness_guard.hpp"
#include "registry.hpp"

#include <hub/clock.hpp>
#include <hub/event_bus.hpp>
#include <hub/liveness_settings.hpp>
#include <hub/metrics.hpp>

#include <spdlog/logger.h>

#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace hub {

class Liveness {
 public:
  Liveness(Registry& registry, AssessLiveness policy, const LivenessSettings& settings, std::shared_ptr<Clock> clock, EventBus& events,
           Metrics& metrics, std::shared_ptr<spdlog::logger> logger);

  // From now on an instance not heard from since is judged silent only from now plus one heartbeat
  // interval. `reason` goes to the log ("the hub started").
  void begin_grace(const std::string& reason);
  // Assesses every self-registered instance and applies what the policy and the guard allow.
  // Returns how many instances changed. Throws StorageError when storage refuses a change.
  int run_pass();
  // An operator confirms that what the guard holds is real: the next pass applies it. False when
  // nothing is held.
  bool confirm();

  struct Status {
    enum class State { active, grace, suspended };
    State state = State::active;
    std::string message;
    int64_t grace_remaining_us = 0;
    LivenessGuard::Figures figures;  // of the last pass
    int64_t suspended_for_us = 0;
  };
  Status status() const;
  const LivenessSettings& settings() const { return settings_; }

 private:
  hub_liveness_input input_for(const LivenessCandidate& candidate, int64_t now, int64_t grace_start) const;
  // How long an instance not heard from since a grace began is protected, when the window is the timeout.
  int64_t grace_length_us() const { return int64_t{settings_.heartbeat_interval_seconds + settings_.window_seconds} * 1'000'000; }
  void report(const LivenessGuard::Decision& decision, int64_t now);

  Registry& registry_;
  AssessLiveness policy_;
  LivenessSettings settings_;
  std::shared_ptr<Clock> clock_;
  EventBus& events_;
  Metrics& metrics_;
  std::shared_ptr<spdlog::logger> logger_;
  std::mutex pass_mutex_;  // one pass at a time: the housekeeping thread's, or a test's
  // A pass's buffers, kept between passes under pass_mutex_: a registry of 200,000 instances made
  // 24 MB of them each second, and returning that to the kernel stalled the other core's threads.
  std::vector<LivenessCandidate> candidates_;
  std::vector<hub_liveness_action> actions_;
  mutable std::mutex mutex_;            // the fields below
  int64_t grace_start_us_ = INT64_MIN;  // monotonic
  std::string grace_reason_;
  LivenessGuard guard_;
};

std::string state_name(Liveness::Status::State state);

}  // namespace hub
