#include "liveness_guard.hpp"

namespace hub {

LivenessGuard::LivenessGuard(const LivenessSettings& settings) : settings_(settings) {}

size_t LivenessGuard::recent(int64_t now_us) {
  const int64_t window_start = now_us - int64_t{settings_.window_seconds} * 1'000'000;
  while (!expired_.empty() && expired_.front().first <= window_start) expired_.pop_front();
  size_t count = 0;
  for (const auto& [when, how_many] : expired_) count += how_many;
  return count;
}

LivenessGuard::Decision LivenessGuard::decide(int64_t now_us, size_t live, size_t expiring) {
  const size_t before = recent(now_us);
  Decision decision;
  decision.figures = {live + before, expiring + before};
  last_ = decision.figures;
  if (confirmed_) {
    // What the operator confirmed is not counted again: the window starts over from it.
    confirmed_ = holding_ = false;
    expired_.clear();
    decision.change = Change::confirmed;
    return decision;
  }
  const Figures& f = decision.figures;
  const bool over = settings_.guard && expiring > 0 && f.live >= static_cast<size_t>(settings_.min_instances) &&
                    f.expiring * 100 > static_cast<size_t>(settings_.max_expiring_percent) * f.live;
  if (over != holding_) {
    decision.change = over ? Change::suspended : Change::resumed;
    holding_ = over;
    if (over) since_us_ = now_us;
  }
  decision.hold = over;
  return decision;
}

void LivenessGuard::expired(int64_t now_us, size_t count) {
  if (count) expired_.emplace_back(now_us, count);
}

bool LivenessGuard::confirm() {
  if (!holding_) return false;
  confirmed_ = true;
  return true;
}

}  // namespace hub
