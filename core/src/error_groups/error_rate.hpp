// How often something happens, per minute: over a short window, and as a baseline that remembers
// the last day. A spike is the window's rate above `multiplier` times the baseline and at least
// `floor` (README, "Error groups").
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <deque>
#include <utility>

namespace hub::error_groups {

class ErrorRate {
 public:
  // window_seconds of minutes count toward the window's rate; the baseline's weight of a minute
  // halves every half_life_seconds.
  ErrorRate(int window_seconds, int half_life_seconds);

  void add(int64_t now_unix_us, uint64_t count = 1);
  // Events per minute over the window ending now. Minutes that ended count whole; the current one
  // counts too, so a burst shows at once.
  double window_rate(int64_t now_unix_us);
  // The exponentially weighted mean of the per-minute counts of the minutes that ended, before the
  // window: what is normal for this group or service.
  double baseline(int64_t now_unix_us);

  // [[unix seconds of the minute's start, count], ...] for the minutes of the last hour that had
  // events, oldest first: what a chart of the group shows. Kept in memory only.
  nlohmann::json last_hour(int64_t now_unix_us) const;

  // What storage keeps of it: the window's minutes and the baseline.
  nlohmann::json state() const;
  // Takes back a state(); false, with nothing changed, when `state` is not one.
  bool restore(const nlohmann::json& state);

 private:
  void advance(int64_t minute);

  int window_minutes_;
  double decay_;                                      // a minute's weight kept after one more minute
  int64_t folded_minute_ = -1;                        // the last minute folded into the baseline
  std::deque<std::pair<int64_t, uint64_t>> minutes_;  // the window's minutes, oldest first
  double baseline_ = 0;                               // over minutes that left the window
  bool has_baseline_ = false;
  static constexpr int64_t kHourMinutes = 60;
  std::deque<std::pair<int64_t, uint64_t>> hour_;  // per minute with events, the last hour's, oldest first
};

}  // namespace hub::error_groups
