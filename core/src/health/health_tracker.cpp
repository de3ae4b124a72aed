#include "health_tracker.hpp"

namespace hub {

std::string health_name(Health health) {
  switch (health) {
    case Health::healthy:
      return "healthy";
    case Health::degraded:
      return "degraded";
    case Health::down:
      return "down";
    case Health::unknown:
      break;
  }
  return "unknown";
}

int severity(Health health) {
  return static_cast<int>(health);
}

std::optional<HealthTransition> HealthTracker::observe(Health observed) {
  if (observed == Health::unknown) return std::nullopt;
  const Health from = confirmed_;
  if (confirmed_ == Health::unknown) {
    confirmed_ = observed;
    return HealthTransition{from, observed};
  }
  if (observed == confirmed_) {
    worse_streak_ = better_streak_ = 0;
    return std::nullopt;
  }
  // A streak counts results on one side of the confirmed status; the newest result is what it becomes.
  const bool worse = severity(observed) > severity(confirmed_);
  int& streak = worse ? worse_streak_ : better_streak_;
  (worse ? better_streak_ : worse_streak_) = 0;
  if (++streak < (worse ? fall_ : rise_)) return std::nullopt;
  confirmed_ = observed;
  worse_streak_ = better_streak_ = 0;
  return HealthTransition{from, observed};
}

}  // namespace hub
