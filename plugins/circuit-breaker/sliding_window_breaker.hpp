// sliding_window: Resilience4j's circuit breaker, and never stuck in HALF_OPEN.
//
// CLOSED: every call is permitted and lands in a count- or time-based window. Once the window
// holds minimum_number_of_calls, a failure rate or a slow-call rate at or above its threshold
// opens the circuit; so do consecutive_failures failures in a row, when set.
// OPEN: no call is permitted for wait_in_open_ms; then it moves to HALF_OPEN by itself.
// HALF_OPEN: trial_calls calls are permitted, and their outcomes decide: the thresholds met again
// open it, otherwise it closes with an empty window. The ways breakers get stuck here are closed:
//   - a trial permit is a lease: one not reported within trial_lease_ms counts as a failed call,
//     so a caller that took a permit and died cannot hold the circuit half open;
//   - when fewer callers come than there are trial calls, it decides after max_wait_in_half_open_ms
//     on what was reported (nothing reported: back to OPEN for another wait).
// Timeouts are failures and slow calls; a rejection (the target refused: overloaded) is a failure.
#pragma once

#include "call_window.hpp"

#include <hub/plugin.hpp>

#include <cstdint>
#include <deque>

namespace hub::circuit_breaker {

class SlidingWindowBreaker {
 public:
  explicit SlidingWindowBreaker(const Context& context);

  hub_circuit_decision acquire(int64_t now_us);
  void record(hub_call_outcome outcome, int64_t duration_us, int64_t now_us);
  hub_circuit_state state(int64_t now_us);
  hub_circuit_figures describe(int64_t now_us);
  // After a restart of the hub: OPEN keeps its wait from when it opened; HALF_OPEN starts its trials afresh.
  void restore(hub_circuit_state state, int64_t opened_at_us, int64_t now_us);

 private:
  struct Settings {
    CallWindow::Kind window_kind = CallWindow::Kind::count;
    uint32_t window_size = 100;
    uint32_t minimum_calls = 20;
    double failure_rate_threshold = 50;
    double slow_call_rate_threshold = 100;
    int64_t slow_call_us = 5'000'000;
    int64_t wait_in_open_us = 30'000'000;
    uint32_t trial_calls = 10;
    int64_t trial_lease_us = 30'000'000;
    int64_t max_wait_in_half_open_us = 30'000'000;
    uint32_t consecutive_failures = 0;  // 0: not a trigger
  };
  static Settings read(const Config& config);

  void advance(int64_t now_us);  // the moves time makes: OPEN -> HALF_OPEN, expired trial leases
  void tally_trial(bool failed, bool slow, int64_t now_us);
  bool over_thresholds(const WindowTotals& totals) const;
  void open(int64_t now_us);
  void half_open(int64_t now_us);
  void close();

  const Settings settings_;
  hub_circuit_state state_ = HUB_CIRCUIT_CLOSED;
  CallWindow window_;
  uint32_t consecutive_ = 0;
  int64_t opened_at_us_ = 0;
  int64_t half_open_at_us_ = 0;
  std::deque<int64_t> trial_leases_;  // when each outstanding trial permit was granted, oldest first
  uint32_t trials_granted_ = 0;
  WindowTotals trials_;  // reported (or expired) trial calls
};

}  // namespace hub::circuit_breaker
