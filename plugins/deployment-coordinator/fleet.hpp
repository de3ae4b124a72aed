// What every strategy does to move instances to a version: in batches, each instance drained,
// told to upgrade, and put back in rotation once it has been healthy at the version for a while.
// Decided from the state alone, so a restarted hub asking again gets the same answer.
#pragma once

#include <hub/plugin.hpp>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

namespace hub::deployment {

struct Pace {
  uint32_t batch_size = 1;
  uint32_t max_unavailable = 1;  // instances out of rotation or unhealthy at once
  int64_t drain_us = 0;          // drained this long before the upgrade: calls in flight finish
  int64_t ready_us = 0;          // healthy at the version this long before it takes calls again
  int64_t poll_us = 1'000'000;   // how soon to ask again while waiting

  // The params every strategy that upgrades in place shares.
  static Pace read(const Rollout& rollout) {
    const Config& params = rollout.params();
    Pace pace;
    pace.batch_size = rollout.batch_size();
    pace.max_unavailable = static_cast<uint32_t>(params.integer("max_unavailable", pace.batch_size));
    pace.drain_us = params.integer("drain_seconds", 0) * 1'000'000;
    pace.ready_us = params.integer("min_ready_seconds", 5) * 1'000'000;
    if (params.integer("max_unavailable", 1) < 1) throw Error(HUB_INVALID_ARGUMENT, "max_unavailable: must be at least 1");
    if (pace.drain_us < 0 || pace.ready_us < 0)
      throw Error(HUB_INVALID_ARGUMENT, "drain_seconds and min_ready_seconds may not be negative");
    return pace;
  }
};

inline RolloutAction wait(int64_t us, std::string reason) {
  return {.type = HUB_ROLLOUT_WAIT, .wait_us = us, .reason = std::move(reason)};
}
inline RolloutAction act(hub_rollout_action_type type, std::string_view instance, std::string reason) {
  return {.type = type, .instance_id = std::string(instance), .reason = std::move(reason)};
}
inline RolloutAction set_weight(uint32_t percent, std::string reason) {
  return {.type = HUB_ROLLOUT_SET_WEIGHT, .reason = std::move(reason), .weight_percent = percent};
}

inline bool at(const RolloutInstance& instance, std::string_view version) {
  return instance.version == version;
}
// Ready to take calls again: healthy at its version for ready_us, or since before it was drained
// (never restarted: one a rollback finds still at the old version).
inline bool ready(const RolloutInstance& instance, const Pace& pace) {
  return instance.health == HUB_HEALTH_HEALTHY && !instance.directed &&
         (instance.healthy_for_us >= pace.ready_us || (instance.draining && instance.healthy_for_us >= instance.draining_for_us));
}

// Brings `wanted` instances to `version`. Appends what to do now; true once they are there and back
// in rotation, and nothing is in flight. The caller waits (pace.poll_us) while it returns false.
inline bool converge(const std::vector<RolloutInstance>& fleet, std::string_view version, size_t wanted, const Pace& pace,
                     std::vector<RolloutAction>& out) {
  size_t in_flight = 0, there = 0, unavailable = 0;
  for (const RolloutInstance& instance : fleet) {
    if (instance.draining) {
      ++in_flight;
      if (at(instance, version) && ready(instance, pace))
        out.push_back(act(HUB_ROLLOUT_RESTORE, instance.id, "healthy at " + std::string(version)));
      else if (!at(instance, version) && !instance.directed && instance.draining_for_us >= pace.drain_us)
        out.push_back(act(HUB_ROLLOUT_UPGRADE, instance.id, "drained; moving to " + std::string(version)));
    } else if (instance.health != HUB_HEALTH_HEALTHY) {
      ++unavailable;
    }
    there += at(instance, version);
  }
  if (in_flight > 0) return false;
  if (there >= wanted) return true;
  const size_t room = std::min<size_t>(pace.batch_size, pace.max_unavailable > unavailable ? pace.max_unavailable - unavailable : 0);
  if (room == 0) {
    out.push_back(wait(pace.poll_us, std::to_string(unavailable) + " instance(s) unhealthy: max_unavailable (" +
                                         std::to_string(pace.max_unavailable) + ") leaves no room for a batch"));
    return false;
  }
  // Unhealthy instances first: they serve nothing now, so upgrading them costs no capacity.
  std::vector<const RolloutInstance*> behind;
  for (const RolloutInstance& instance : fleet)
    if (!at(instance, version)) behind.push_back(&instance);
  std::stable_sort(behind.begin(), behind.end(), [](const RolloutInstance* a, const RolloutInstance* b) {
    return (a->health != HUB_HEALTH_HEALTHY) > (b->health != HUB_HEALTH_HEALTHY);
  });
  const size_t batch = std::min({room, wanted - there, behind.size()});
  for (size_t i = 0; i < batch; ++i)
    out.push_back(act(HUB_ROLLOUT_DRAIN, behind[i]->id, "batch of " + std::to_string(batch) + " toward " + std::string(version)));
  return false;
}

inline size_t count_at(const std::vector<RolloutInstance>& fleet, std::string_view version) {
  return static_cast<size_t>(std::count_if(fleet.begin(), fleet.end(), [&](const RolloutInstance& i) { return at(i, version); }));
}

}  // namespace hub::deployment
