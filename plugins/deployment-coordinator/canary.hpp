// canary: a share of the calls goes to the new version, step by step ("steps": [{"weight": 10,
// "pause_seconds": 60}, ...], the last at weight 100). At each step as many instances as the
// weight's share of the fleet move to the new version, the balancers send them exactly that
// weight of the calls, and the step's pause runs while the gates watch. Gates failing roll back.
#pragma once

#include "fleet.hpp"

#include <cmath>

namespace hub::deployment {

class Canary {
 public:
  explicit Canary(const Context&) {}

  struct Step {
    uint32_t weight = 0;
    int64_t pause_us = 0;
  };

  std::vector<RolloutAction> next_step(const Rollout& rollout) const {
    const Pace pace = Pace::read(rollout);
    const std::vector<Step> steps = read_steps(rollout);
    rollout.refuse_unknown_params();
    const std::vector<RolloutInstance> fleet = rollout.instances();
    std::vector<RolloutAction> out;
    if (rollout.rolling_back()) {
      if (rollout.weight_percent() != 0) out.push_back(set_weight(0, "rolling back: the canary gets no calls"));
      if (!converge(fleet, rollout.from_version(), fleet.size(), pace, out)) {
        out.push_back(wait(pace.poll_us, "moving the canary instances back"));
        return out;
      }
      out.push_back({.type = HUB_ROLLOUT_DONE, .reason = "every instance is back at " + std::string(rollout.from_version())});
      return out;
    }
    if (rollout.gate() == HUB_GATE_FAILING && !rollout.promote_requested())
      return {{.type = HUB_ROLLOUT_ROLL_BACK, .reason = "gate failed: " + std::string(rollout.gate_reason())}};
    if (rollout.weight_percent() < 0) out.push_back(set_weight(0, "the canary's instances get no calls until its first step"));
    // Two of the rollout's steps per canary step: moving instances, then the pause.
    const size_t index = rollout.promote_requested() ? steps.size() - 1 : std::min<size_t>(rollout.step() / 2, steps.size() - 1);
    const Step& step = steps[index];
    const std::string name =
        "step " + std::to_string(index + 1) + " of " + std::to_string(steps.size()) + " (" + std::to_string(step.weight) + "%)";
    const size_t wanted = step.weight == 0 ? 0 : std::max<size_t>(1, static_cast<size_t>(std::ceil(fleet.size() * step.weight / 100.0)));
    if (!converge(fleet, rollout.to_version(), std::min(wanted, fleet.size()), pace, out)) {
      out.push_back(wait(pace.poll_us, name + ": moving instances"));
      return out;
    }
    if (rollout.weight_percent() != static_cast<int32_t>(step.weight))
      out.push_back(set_weight(step.weight, name + ": " + std::to_string(wanted) + " instance(s) ready"));
    const bool last = index == steps.size() - 1;
    if (rollout.promote_requested()) {
      out.push_back({.type = HUB_ROLLOUT_PROMOTE, .reason = "promoted by an operator"});
      out.push_back({.type = HUB_ROLLOUT_DONE, .reason = "rolled out"});
      return out;
    }
    if (rollout.step() % 2 == 0 && rollout.step() / 2 == index) {
      // The last step's pause bakes the promoted version: a failing gate still rolls back, config too.
      if (last) out.push_back({.type = HUB_ROLLOUT_PROMOTE, .reason = "every instance runs " + std::string(rollout.to_version())});
      if (last && step.pause_us == 0) {
        out.push_back({.type = HUB_ROLLOUT_DONE, .reason = "rolled out"});
        return out;
      }
      out.push_back({.type = HUB_ROLLOUT_NEXT_STEP,
                     .wait_us = step.pause_us,
                     .reason = name + ": pausing " + std::to_string(step.pause_us / 1'000'000) + " s"});
      return out;
    }
    if (rollout.step_age_us() < step.pause_us) {
      out.push_back(wait(std::min(pace.poll_us, step.pause_us - rollout.step_age_us()), name + ": pausing"));
      return out;
    }
    if (rollout.gate() != HUB_GATE_PASSING) {
      out.push_back(wait(pace.poll_us, name + ": pause over, waiting on the gates: " + std::string(rollout.gate_reason())));
      return out;
    }
    out.push_back(last ? RolloutAction{.type = HUB_ROLLOUT_DONE, .reason = "every step passed its gates"}
                       : RolloutAction{.type = HUB_ROLLOUT_NEXT_STEP, .reason = name + " passed its gates"});
    return out;
  }

  static std::vector<Step> read_steps(const Rollout& rollout) {
    const Config& params = rollout.params();
    std::vector<Step> steps;
    for (int i = 0;; ++i) {
      const std::string key = "steps." + std::to_string(i);
      if (!params.has(key + ".weight")) {
        if (params.has(key + ".pause_seconds")) throw Error(HUB_INVALID_ARGUMENT, key + ".weight: required");
        break;
      }
      const int64_t weight = params.integer(key + ".weight", 0);
      const int64_t pause = params.integer(key + ".pause_seconds", 60);
      if (weight < 0 || weight > 100) throw Error(HUB_INVALID_ARGUMENT, key + ".weight: " + std::to_string(weight) + " is not 0..100");
      if (pause < 0) throw Error(HUB_INVALID_ARGUMENT, key + ".pause_seconds: may not be negative");
      if (!steps.empty() && weight < steps.back().weight)
        throw Error(HUB_INVALID_ARGUMENT, key + ".weight: " + std::to_string(weight) + " is below the step before's " +
                                              std::to_string(steps.back().weight) + "; a canary's weight only grows");
      steps.push_back({static_cast<uint32_t>(weight), pause * 1'000'000});
    }
    if (steps.empty()) steps = {{10, 60'000'000}, {50, 60'000'000}};
    if (steps.back().weight != 100) steps.push_back({100, 0});
    return steps;
  }
};

}  // namespace hub::deployment
