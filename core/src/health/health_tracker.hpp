// Flap damping for one target: a status is confirmed only after `fall`
// consecutive results worse than the confirmed one, or `rise` consecutive
// better ones (HAProxy's rise/fall). The first result is confirmed at once.
#pragma once

#include <optional>
#include <string>

namespace hub {

enum class Health { unknown, healthy, degraded, down };

std::string health_name(Health health);  // "healthy", "degraded", "down", "unknown"
int severity(Health health);             // unknown < healthy < degraded < down

struct HealthTransition {
  Health from = Health::unknown;
  Health to = Health::unknown;
};

class HealthTracker {
 public:
  HealthTracker(int rise, int fall) : rise_(rise), fall_(fall) {}
  // The transition this result confirms, if any.
  std::optional<HealthTransition> observe(Health observed);
  Health confirmed() const { return confirmed_; }
  // Takes `known` as confirmed without a transition: what another hub confirmed before this one
  // took the target over, so the same change is not alerted twice.
  void assume(Health known) {
    confirmed_ = known;
    worse_streak_ = better_streak_ = 0;
  }

 private:
  int rise_, fall_;
  Health confirmed_ = Health::unknown;
  int worse_streak_ = 0;
  int better_streak_ = 0;
};

}  // namespace hub
