// rolling: the seed's strategy. Every instance moves to the new version, batch_size at a time, with
// no more than max_unavailable out of rotation or unhealthy at once.
#pragma once

#include "fleet.hpp"

namespace hub::deployment {

class Rolling {
 public:
  explicit Rolling(const Context&) {}

  std::vector<RolloutAction> next_step(const Rollout& rollout) const {
    const Pace pace = Pace::read(rollout);
    rollout.refuse_unknown_params();
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
    if (rollout.gate() != HUB_GATE_PASSING && !rollout.promote_requested())
      return {wait(pace.poll_us, "every instance runs " + std::string(rollout.to_version()) +
                                     "; waiting on the gates: " + std::string(rollout.gate_reason()))};
    return {{.type = HUB_ROLLOUT_PROMOTE, .reason = "every instance runs " + std::string(rollout.to_version())},
            {.type = HUB_ROLLOUT_DONE, .reason = "rolled out"}};
  }
};

}  // namespace hub::deployment
