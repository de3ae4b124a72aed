// The seed's liveness rule for self-registered instances: silent for longer
// than service_timeout_seconds -> down; with auto_deregister_dead_services,
// down for deregister_after_seconds more -> removed. A heartbeat brings a down
// instance back (the hub does that on the heartbeat itself).
//
//   - implementation: liveness
//     config: {service_timeout_seconds: 90, auto_deregister_dead_services: true, deregister_after_seconds: 300}
#pragma once

#include <hub/plugin.hpp>

namespace hub::discovery {

class LivenessPolicy {
 public:
  explicit LivenessPolicy(const hub::Context& context)
      : timeout_us_(seconds(context.config, "service_timeout_seconds", 90)),
        auto_deregister_(context.config.boolean("auto_deregister_dead_services", true)),
        grace_us_(seconds(context.config, "deregister_after_seconds", 300)) {}

  hub_liveness_action assess_liveness(const hub_liveness_input& instance) const {
    if (instance.status != HUB_HEALTH_DOWN) return instance.silent_for_us > timeout_us_ ? HUB_LIVENESS_MARK_DOWN : HUB_LIVENESS_KEEP;
    return auto_deregister_ && instance.down_for_us >= grace_us_ ? HUB_LIVENESS_REMOVE : HUB_LIVENESS_KEEP;
  }

 private:
  static int64_t seconds(const hub::Config& config, std::string_view key, double fallback) {
    const double value = config.number(key, fallback);
    if (!(value > 0) || value > 31'536'000)
      throw hub::Error(HUB_INVALID_ARGUMENT,
                       "config key '" + std::string(key) + "': expected seconds above 0 and at most a year, got " + std::to_string(value));
    return static_cast<int64_t>(value * 1e6);
  }

  int64_t timeout_us_;
  bool auto_deregister_;
  int64_t grace_us_;
};

}  // namespace hub::discovery
