#include "deployment_settings_yaml.hpp"

namespace hub {

GateSettings read_gates(yaml::MapReader& gates, GateSettings settings) {
  settings.healthy_seconds = static_cast<int>(gates.integer("healthy_seconds", settings.healthy_seconds, 0, 86'400));
  settings.min_calls = static_cast<int>(gates.integer("min_calls", settings.min_calls, 1, 1'000'000'000));
  settings.max_error_rate_increase = gates.number("max_error_rate_increase", settings.max_error_rate_increase, 0, 100);
  settings.max_error_rate = gates.number("max_error_rate", settings.max_error_rate, 0, 100);
  settings.max_failures = static_cast<int>(gates.integer("max_failures", settings.max_failures, 1, 1'000'000'000));
  settings.max_latency_ratio = gates.number("max_latency_ratio", settings.max_latency_ratio, 1, 1000);
  settings.min_latency_increase_ms =
      static_cast<int>(gates.integer("min_latency_increase_ms", settings.min_latency_increase_ms, 0, 3'600'000));
  settings.require_calls = gates.boolean("require_calls", settings.require_calls);
  settings.max_new_error_events = static_cast<int>(gates.integer("max_new_error_events", settings.max_new_error_events, 0, 1'000'000'000));
  gates.finish();
  return settings;
}

DeploymentSettings read_deployments(yaml::MapReader& top) {
  yaml::MapReader section(top.source(), top.node("deployments"), "deployments");
  DeploymentSettings settings;
  settings.progress_deadline_seconds =
      static_cast<int>(section.integer("progress_deadline_seconds", settings.progress_deadline_seconds, 1, 7 * 86'400));
  settings.keep_ended = static_cast<int>(section.integer("keep_ended", settings.keep_ended, 1, 10'000));
  yaml::MapReader gates(top.source(), section.node("gates"), section.path("gates"));
  settings.gates = read_gates(gates, settings.gates);
  yaml::MapReader strategies(top.source(), section.node("strategies"), section.path("strategies"));
  for (const auto& entry : strategies.self().IsMap() ? strategies.self() : YAML::Node(YAML::NodeType::Map)) {
    const std::string name = entry.first.Scalar();
    settings.strategy_where[name] = yaml::where(top.source(), strategies.node(name));
    settings.strategies[name] = strategies.required_string(name);
  }
  strategies.finish();
  section.finish();
  return settings;
}

}  // namespace hub
