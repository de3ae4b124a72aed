// blue_green: the new version's instances (green) are started alongside the old ones (blue) by
// whatever deploys them, and register with the new version. Green gets no calls until green_count
// of them are ready and the gates pass; then every call switches to green at once. For
// rollback_window_seconds the switch can be undone in an instant (blue keeps running, without
// calls); after it, blue is drained for good and told to stop. The switch is the promotion: the
// rollout's config applies then, and a rollback in the window takes it back.
#pragma once

#include "fleet.hpp"

namespace hub::deployment {

class BlueGreen {
 public:
  explicit BlueGreen(const Context&) {}

  // The rollout's steps.
  static constexpr uint32_t kPreview = 0, kAwaitingSwitch = 1, kSwitched = 2;

  std::vector<RolloutAction> next_step(const Rollout& rollout) const {
    const Config& params = rollout.params();
    const int64_t green_count = params.integer("green_count", 0);
    const int64_t window_us = params.integer("rollback_window_seconds", 60) * 1'000'000;
    const bool pause_before_switch = params.boolean("pause_before_switch", false);
    const int64_t ready_us = params.integer("min_ready_seconds", 5) * 1'000'000;
    rollout.refuse_unknown_params();
    if (green_count < 0 || window_us < 0 || ready_us < 0)
      throw Error(HUB_INVALID_ARGUMENT, "green_count, rollback_window_seconds and min_ready_seconds may not be negative");
    const std::vector<RolloutInstance> fleet = rollout.instances();
    const std::string_view blue = rollout.from_version(), green = rollout.to_version();
    constexpr int64_t kPoll = 1'000'000;
    std::vector<RolloutAction> out;
    if (rollout.rolling_back()) {
      if (rollout.weight_percent() != 0) out.push_back(set_weight(0, "switched back: every call to " + std::string(blue)));
      for (const RolloutInstance& instance : fleet)
        if (at(instance, green) && !instance.draining) out.push_back(act(HUB_ROLLOUT_RETIRE, instance.id, "rolled back"));
      out.push_back({.type = HUB_ROLLOUT_DONE, .reason = "every call goes to " + std::string(blue) + "; green retired"});
      return out;
    }
    if (rollout.gate() == HUB_GATE_FAILING)
      return {{.type = HUB_ROLLOUT_ROLL_BACK, .reason = "gate failed: " + std::string(rollout.gate_reason())}};
    if (rollout.step() == kSwitched) {
      if (rollout.step_age_us() < window_us && !rollout.promote_requested())
        return {wait(std::min(kPoll, window_us - rollout.step_age_us()), "switched; rollback window open")};
      for (const RolloutInstance& instance : fleet)
        if (at(instance, blue) && !instance.draining) out.push_back(act(HUB_ROLLOUT_RETIRE, instance.id, "rollback window over"));
      out.push_back({.type = HUB_ROLLOUT_DONE, .reason = "blue retired"});
      return out;
    }
    if (rollout.weight_percent() != 0) out.push_back(set_weight(0, "green gets no calls before the switch"));
    size_t blues = 0, greens_ready = 0;
    for (const RolloutInstance& instance : fleet) {
      blues += at(instance, blue);
      greens_ready += at(instance, green) && instance.health == HUB_HEALTH_HEALTHY && instance.healthy_for_us >= ready_us;
    }
    const size_t wanted = green_count > 0 ? static_cast<size_t>(green_count) : std::max<size_t>(blues, 1);
    if (greens_ready < wanted) {
      out.push_back(wait(kPoll, std::to_string(greens_ready) + " of " + std::to_string(wanted) + " green instance(s) ready"));
      return out;
    }
    if (rollout.gate() != HUB_GATE_PASSING && !rollout.promote_requested()) {
      out.push_back(wait(kPoll, "green ready; waiting on the gates: " + std::string(rollout.gate_reason())));
      return out;
    }
    if (pause_before_switch && !rollout.promote_requested()) {
      if (rollout.step() == kPreview) {
        out.push_back({.type = HUB_ROLLOUT_NEXT_STEP, .reason = "green ready"});
        out.push_back({.type = HUB_ROLLOUT_PAUSE, .reason = "pause_before_switch: resume or promote to switch"});
        return out;
      }
      if (rollout.paused()) return {wait(kPoll, "waiting for an operator to switch")};
    }
    if (rollout.step() == kPreview) out.push_back({.type = HUB_ROLLOUT_NEXT_STEP, .reason = "green ready"});
    out.push_back(set_weight(100, "switch: every call to " + std::string(green)));
    out.push_back({.type = HUB_ROLLOUT_PROMOTE, .reason = "green serves every call"});
    out.push_back({.type = HUB_ROLLOUT_NEXT_STEP,
                   .wait_us = window_us,
                   .reason = "rollback window of " + std::to_string(window_us / 1'000'000) + " s opens"});
    return out;
  }
};

}  // namespace hub::deployment
