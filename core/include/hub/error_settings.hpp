// Error groups (the `errors` section): what the hub keeps of the error events services report
// (POST /errors), and when a group's or a service's rate is a spike.
#pragma once

#include <cstddef>
#include <map>
#include <string>

namespace hub {

struct ErrorSettings {
  // A spike: over the last window_seconds, events per minute above multiplier × the baseline and
  // at least floor_per_minute. The baseline is an exponentially weighted mean of the per-minute
  // rate, each minute's weight halving every baseline_half_life_seconds (a day by default).
  int window_seconds = 300;
  int baseline_half_life_seconds = 86'400;
  double multiplier = 3.0;
  double floor_per_minute = 5.0;
  // A spike ends when the rate falls below the threshold again; each transition is one alert.
  bool alert_new_errors = true;  // new_error when a fingerprint is first seen
  int retention_days = 30;       // groups not seen for this long are forgotten
  size_t max_groups = 10'000;    // beyond it, the group seen longest ago gives way
  size_t samples_per_group = 5;  // the newest events of each group kept whole
  size_t max_batch = 1'000;      // events in one POST /errors
  // Changed groups, rates and performance totals go to storage this often (and at stop), so a
  // restarted hub knows which errors are old and what is normal; at most this much is lost to a crash.
  int save_interval_seconds = 10;
  // Services that opted in: an error spike of the service forces its circuit open for this many
  // seconds (FORCED_OPEN, then back to the breaker's own state), so callers use their fallbacks.
  std::map<std::string, int> open_circuit_on_spike;
};

}  // namespace hub
