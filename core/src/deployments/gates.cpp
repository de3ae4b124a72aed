#include "gates.hpp"

#include <cstdio>

namespace hub::deployments {

namespace {

std::string format(const char* pattern, double a, double b = 0, double c = 0) {
  char text[200];
  std::snprintf(text, sizeof text, pattern, a, b, c);
  return text;
}

// Error rate and latency. Empty when nothing fails; the failure otherwise.
std::string judge_calls(const GateSettings& settings, const Tally& fresh, const Tally& stable) {
  const auto enough = [&](const Tally& tally) { return tally.calls >= static_cast<uint64_t>(settings.min_calls); };
  // A sparse or empty baseline cannot excuse failures: counted, they fail the gate by themselves
  // (Kayenta passes a new version failing where the old one had no traffic: kayenta#426, #799).
  if (!enough(stable) && fresh.errors >= static_cast<uint64_t>(settings.max_failures))
    return format("%.0f failed calls of %.0f on the new version, with %.0f on the stable one to compare", static_cast<double>(fresh.errors),
                  static_cast<double>(fresh.calls), static_cast<double>(stable.calls));
  if (!enough(fresh)) return {};
  if (enough(stable)) {
    if (fresh.error_percent() > stable.error_percent() + settings.max_error_rate_increase)
      return format("error rate %.1f%% against the stable version's %.1f%% (allowed: %.1f points more)", fresh.error_percent(),
                    stable.error_percent(), settings.max_error_rate_increase);
    const double limit = std::max(stable.mean_ms() * settings.max_latency_ratio, stable.mean_ms() + settings.min_latency_increase_ms);
    if (fresh.timed && stable.timed && fresh.mean_ms() > limit)
      return format("mean latency %.1f ms against the stable version's %.1f ms (allowed: %.1f ms)", fresh.mean_ms(), stable.mean_ms(),
                    limit);
  } else if (fresh.error_percent() > settings.max_error_rate) {
    return format("error rate %.1f%% with no stable traffic to compare (allowed: %.1f%%)", fresh.error_percent(), settings.max_error_rate);
  }
  return {};
}

}  // namespace

GateVerdict judge(const GateSettings& settings, const GateInput& input) {
  if (!input.fallen.empty()) {
    std::string names;
    for (const std::string& id : input.fallen) names += (names.empty() ? "" : ", ") + id;
    return {HUB_GATE_FAILING, "new instance(s) went down after " + std::to_string(settings.healthy_seconds) + " s healthy: " + names};
  }
  if (std::string failure = judge_calls(settings, input.fresh, input.stable); !failure.empty()) return {HUB_GATE_FAILING, failure};
  for (const NewError& error : input.new_errors)
    if (settings.max_new_error_events && error.events >= static_cast<uint64_t>(settings.max_new_error_events))
      return {HUB_GATE_FAILING, "a new error since the rollout began, " + error.fingerprint + " (" + error.type + "), reported " +
                                    std::to_string(error.events) + " times by the new version (allowed: fewer than " +
                                    std::to_string(settings.max_new_error_events) + ")"};
  const std::string calls =
      std::to_string(input.fresh.calls) + " call(s) to the new version, " + std::to_string(input.stable.calls) + " to the stable one";
  if (input.fresh_settled < input.fresh_instances)
    return {HUB_GATE_PENDING, std::to_string(input.fresh_settled) + " of " + std::to_string(input.fresh_instances) +
                                  " new instance(s) healthy for " + std::to_string(settings.healthy_seconds) + " s; " + calls};
  if (settings.require_calls && input.fresh.calls < static_cast<uint64_t>(settings.min_calls))
    return {HUB_GATE_PENDING, calls + ", " + std::to_string(settings.min_calls) + " needed"};
  return {HUB_GATE_PASSING, std::to_string(input.fresh_instances) + " new instance(s) healthy; " + calls};
}

}  // namespace hub::deployments
