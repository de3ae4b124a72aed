// rolling: the seed's strategy. Every instance moves to the new version, batch_size at a time, with
// no more than max_unavailable out of rotation or unhealthy at once.
#pragma once

#include "fleet.hpp"

namespace hub::deployment {

class Rolling {
 public:
  explicit Rolling(const Context&) {}

  // Steps: 0 while batches run; 1 while the promoted version bakes (bake_seconds) under the gates.
  std::vector<RolloutAction> next_step(const Rollout& rollout) const {
    const Pace pace = Pace::read(rollout);
    const int64_t bake_us = rollout.params().integer("bake_seconds", 0) * 1'000'000;
    rollout.refuse_unknown_params();
    if (bake_us < 0) throw Error(HUB_INVALID_ARGUMENT, "bake_seconds: may not be negative");
    std::vector<RolloutAction> out;
    if (!rollout.rolling_back() && rollout.gate() == HUB_GATE_FAILING)
      return {{.type = HUB_ROLLOUT_ROLL_BACK, .reason = "gate failed: " + std::string(rollout.gate_reason())}};
    const std::vector<RolloutInstance> fleet = rollout.instances();
    if (!converge(fleet, rollout.target_version(), fleet.size(), pace, out)) {
      out.push_back(wait(pace.poll_us, "batches in progress"));
      return out;
    }
    if (rollout.rolling_back())
      return {{.type = HUB_ROLLOUT_DONE, .reason = "every instance is back at " + std::string(rollout.from_version())}};
    const std::string everywhere = "every instance runs " + std::string(rollout.to_version());
    if (rollout.step() == 1) {
      if (rollout.step_age_us() < bake_us) return {wait(std::min(pace.poll_us, bake_us - rollout.step_age_us()), everywhere + "; baking")};
      return {{.type = HUB_ROLLOUT_DONE, .reason = "baked " + std::to_string(bake_us / 1'000'000) + " s under the gates"}};
    }
    if (rollout.gate() != HUB_GATE_PASSING && !rollout.promote_requested())
      return {wait(pace.poll_us, everywhere + "; waiting on the gates: " + std::string(rollout.gate_reason()))};
    out.push_back({.type = HUB_ROLLOUT_PROMOTE, .reason = everywhere});
    if (bake_us == 0 || rollout.promote_requested())
      out.push_back({.type = HUB_ROLLOUT_DONE, .reason = "rolled out"});
    else
      out.push_back({.type = HUB_ROLLOUT_NEXT_STEP, .wait_us = bake_us, .reason = "baking " + std::to_string(bake_us / 1'000'000) + " s"});
    return out;
  }
};

}  // namespace hub::deployment
