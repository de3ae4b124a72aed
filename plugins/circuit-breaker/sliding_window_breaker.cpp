#include "sliding_window_breaker.hpp"

#include <string>

namespace hub::circuit_breaker {

namespace {

int64_t bounded(const Config& config, const char* key, int64_t fallback, int64_t min, int64_t max) {
  const int64_t value = config.integer(key, fallback);
  if (value < min || value > max)
    throw Error(HUB_INVALID_ARGUMENT,
                std::string(key) + ": between " + std::to_string(min) + " and " + std::to_string(max) + ", got " + std::to_string(value));
  return value;
}

double percent(const Config& config, const char* key, double fallback) {
  const double value = config.number(key, fallback);
  if (!(value > 0 && value <= 100)) throw Error(HUB_INVALID_ARGUMENT, std::string(key) + ": a percentage above 0, at most 100");
  return value;
}

}  // namespace

SlidingWindowBreaker::Settings SlidingWindowBreaker::read(const Config& config) {
  Settings settings;
  const std::string kind = config.string("sliding_window_type", "count");
  if (kind != "count" && kind != "time") throw Error(HUB_INVALID_ARGUMENT, "sliding_window_type: count or time, got '" + kind + "'");
  settings.window_kind = kind == "count" ? CallWindow::Kind::count : CallWindow::Kind::time;
  const int64_t largest = kind == "count" ? 100'000 : 3'600;
  settings.window_size = static_cast<uint32_t>(bounded(config, "sliding_window_size", kind == "count" ? 100 : 60, 1, largest));
  settings.minimum_calls = static_cast<uint32_t>(bounded(config, "minimum_number_of_calls", 20, 1, 1'000'000));
  settings.failure_rate_threshold = percent(config, "failure_rate_threshold", 50);
  settings.slow_call_rate_threshold = percent(config, "slow_call_rate_threshold", 100);
  settings.slow_call_us = bounded(config, "slow_call_duration_ms", 5000, 1, 3'600'000) * 1000;
  settings.wait_in_open_us = bounded(config, "wait_in_open_ms", 30'000, 1, 3'600'000) * 1000;
  settings.trial_calls = static_cast<uint32_t>(bounded(config, "trial_calls", 10, 1, 10'000));
  settings.trial_lease_us = bounded(config, "trial_lease_ms", 30'000, 1, 3'600'000) * 1000;
  settings.max_wait_in_half_open_us = bounded(config, "max_wait_in_half_open_ms", 30'000, 1, 3'600'000) * 1000;
  settings.consecutive_failures = static_cast<uint32_t>(bounded(config, "consecutive_failures", 0, 0, 1'000'000));
  return settings;
}

SlidingWindowBreaker::SlidingWindowBreaker(const Context& context)
    : settings_(read(context.config)), window_(settings_.window_kind, settings_.window_size) {}

hub_circuit_decision SlidingWindowBreaker::acquire(int64_t now_us) {
  advance(now_us);
  hub_circuit_decision decision{sizeof(hub_circuit_decision), state_, 1, 0};
  if (state_ == HUB_CIRCUIT_OPEN) {
    decision.permitted = 0;
    decision.retry_after_us = opened_at_us_ + settings_.wait_in_open_us - now_us;
  } else if (state_ == HUB_CIRCUIT_HALF_OPEN) {
    if (trials_granted_ < settings_.trial_calls) {
      ++trials_granted_;
      trial_leases_.push_back(now_us);
    } else {
      decision.permitted = 0;  // every trial is out: wait for their outcomes, or their leases
      decision.retry_after_us = trial_leases_.empty() ? 0 : trial_leases_.front() + settings_.trial_lease_us - now_us;
    }
  }
  return decision;
}

void SlidingWindowBreaker::record(hub_call_outcome outcome, int64_t duration_us, int64_t now_us) {
  advance(now_us);
  const bool failed = outcome != HUB_CALL_SUCCESS;
  const bool slow = outcome == HUB_CALL_TIMEOUT || duration_us >= settings_.slow_call_us;
  if (state_ == HUB_CIRCUIT_HALF_OPEN) {
    if (trial_leases_.empty()) return;  // not a trial call: it was not permitted in this state
    trial_leases_.pop_front();
    return tally_trial(failed, slow, now_us);
  }
  if (state_ == HUB_CIRCUIT_OPEN) return;  // began before it opened: the circuit already judged
  window_.add(failed, slow, now_us);
  consecutive_ = failed ? consecutive_ + 1 : 0;
  if ((settings_.consecutive_failures > 0 && consecutive_ >= settings_.consecutive_failures) || over_thresholds(window_.totals(now_us)))
    open(now_us);
}

hub_circuit_state SlidingWindowBreaker::state(int64_t now_us) {
  advance(now_us);
  return state_;
}

hub_circuit_figures SlidingWindowBreaker::describe(int64_t now_us) {
  advance(now_us);
  const WindowTotals totals = state_ == HUB_CIRCUIT_HALF_OPEN ? trials_ : window_.totals(now_us);
  const bool enough = state_ == HUB_CIRCUIT_HALF_OPEN || totals.calls >= settings_.minimum_calls;
  return {sizeof(hub_circuit_figures),
          state_,
          enough ? totals.failure_rate() : -1,
          enough ? totals.slow_rate() : -1,
          totals.calls,
          static_cast<uint32_t>(trial_leases_.size()),
          state_ == HUB_CIRCUIT_CLOSED ? 0 : opened_at_us_,
          state_ == HUB_CIRCUIT_OPEN ? opened_at_us_ + settings_.wait_in_open_us : 0};
}

void SlidingWindowBreaker::restore(hub_circuit_state state, int64_t opened_at_us, int64_t now_us) {
  if (state == HUB_CIRCUIT_OPEN) {
    open(opened_at_us);
    advance(now_us);
  } else if (state == HUB_CIRCUIT_HALF_OPEN) {
    opened_at_us_ = opened_at_us;
    half_open(now_us);
  }
}

void SlidingWindowBreaker::advance(int64_t now_us) {
  if (state_ == HUB_CIRCUIT_OPEN && now_us >= opened_at_us_ + settings_.wait_in_open_us) half_open(now_us);
  while (state_ == HUB_CIRCUIT_HALF_OPEN && !trial_leases_.empty() && trial_leases_.front() + settings_.trial_lease_us <= now_us) {
    trial_leases_.pop_front();
    tally_trial(true, true, now_us);  // a permit never reported back: the call is presumed lost
  }
  if (state_ == HUB_CIRCUIT_HALF_OPEN && trial_leases_.empty() && now_us >= half_open_at_us_ + settings_.max_wait_in_half_open_us) {
    if (trials_.calls == 0) return open(now_us);  // nobody came to try: no evidence it recovered
    if (over_thresholds(trials_)) return open(now_us);
    close();
  }
}

void SlidingWindowBreaker::tally_trial(bool failed, bool slow, int64_t now_us) {
  trials_.calls += 1;
  trials_.failures += failed;
  trials_.slow += slow;
  if (trials_.calls < settings_.trial_calls) return;
  if (over_thresholds(trials_))
    open(now_us);
  else
    close();
}

bool SlidingWindowBreaker::over_thresholds(const WindowTotals& totals) const {
  const uint32_t needed = state_ == HUB_CIRCUIT_HALF_OPEN ? 1 : settings_.minimum_calls;
  if (totals.calls < needed) return false;
  return totals.failure_rate() >= settings_.failure_rate_threshold || totals.slow_rate() >= settings_.slow_call_rate_threshold;
}

void SlidingWindowBreaker::open(int64_t now_us) {
  state_ = HUB_CIRCUIT_OPEN;
  opened_at_us_ = now_us;
  consecutive_ = 0;
  trial_leases_.clear();
}

void SlidingWindowBreaker::half_open(int64_t now_us) {
  state_ = HUB_CIRCUIT_HALF_OPEN;
  half_open_at_us_ = now_us;
  trials_granted_ = 0;
  trials_ = {};
  trial_leases_.clear();
}

void SlidingWindowBreaker::close() {
  state_ = HUB_CIRCUIT_CLOSED;
  window_.clear();
  consecutive_ = 0;
  trial_leases_.clear();
}

}  // namespace hub::circuit_breaker
