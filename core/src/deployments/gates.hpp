// The gates' verdict on a rollout's new version: its instances' health, and its calls' error rate
// and latency against the stable version's over the same window. Pure, so each rule is tested alone.
#pragma once

#include <hub/plugin_api.h>
#include <hub/deployment_settings.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace hub::deployments {

// Outcomes callers reported for one version's instances.
struct Tally {
  uint64_t calls = 0;
  uint64_t errors = 0;     // failures, timeouts and refusals
  double duration_us = 0;  // summed over the calls that returned (successes and failures)
  uint64_t timed = 0;
  double error_percent() const { return calls ? 100.0 * static_cast<double>(errors) / static_cast<double>(calls) : 0; }
  double mean_ms() const { return timed ? duration_us / static_cast<double>(timed) / 1000 : 0; }
};

// An error fingerprint first seen since the rollout began, and how often the new version reported it.
struct NewError {
  std::string fingerprint;
  std::string type;
  uint64_t events = 0;
};

struct GateInput {
  size_t fresh_instances = 0;       // the new version's instances in rotation
  size_t fresh_settled = 0;         // of them, healthy for healthy_seconds
  std::vector<std::string> fallen;  // new instances that went down after they had settled
  Tally fresh, stable;
  std::vector<NewError> new_errors;
};

struct GateVerdict {
  hub_rollout_gate gate = HUB_GATE_PENDING;
  std::string reason;
};

GateVerdict judge(const GateSettings& settings, const GateInput& input);

}  // namespace hub::deployments
