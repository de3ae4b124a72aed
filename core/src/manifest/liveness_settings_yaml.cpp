#include "liveness_settings_yaml.hpp"

namespace hub {

LivenessSettings read_liveness(yaml::MapReader& top) {
  yaml::MapReader section(top.source(), top.node("liveness"), "liveness");
  LivenessSettings settings;
  settings.heartbeat_interval_seconds =
      static_cast<int>(section.integer("heartbeat_interval_seconds", settings.heartbeat_interval_seconds, 0, 86400));
  yaml::MapReader guard(top.source(), section.node("guard"), section.path("guard"));
  settings.guard = guard.boolean("enabled", settings.guard);
  settings.max_expiring_percent = static_cast<int>(guard.integer("max_expiring_percent", settings.max_expiring_percent, 1, 100));
  settings.window_seconds = static_cast<int>(guard.integer("window_seconds", settings.window_seconds, 1, 86400));
  settings.min_instances = static_cast<int>(guard.integer("min_instances", settings.min_instances, 1, 1'000'000));
  guard.finish();
  section.finish();
  return settings;
}

namespace {

SlowStart read_slow_start(yaml::MapReader& parent, const SlowStart& fallback) {
  yaml::MapReader section(parent.source(), parent.node("slow_start"), parent.path("slow_start"));
  SlowStart settings;
  settings.window_seconds = static_cast<int>(section.integer("window_seconds", fallback.window_seconds, 0, 3600));
  settings.aggression = section.number("aggression", fallback.aggression, 0.1, 10);
  settings.min_weight_percent = static_cast<int>(section.integer("min_weight_percent", fallback.min_weight_percent, 1, 100));
  section.finish();
  return settings;
}

OutlierDetection read_outlier_detection(yaml::MapReader& parent) {
  yaml::MapReader section(parent.source(), parent.node("outlier_detection"), parent.path("outlier_detection"));
  OutlierDetection settings;
  settings.consecutive_failures = static_cast<int>(section.integer("consecutive_failures", settings.consecutive_failures, 0, 1'000'000));
  settings.base_ejection_seconds = static_cast<int>(section.integer("base_ejection_seconds", settings.base_ejection_seconds, 1, 86400));
  settings.max_ejection_seconds =
      static_cast<int>(section.integer("max_ejection_seconds", settings.max_ejection_seconds, settings.base_ejection_seconds, 86400));
  settings.max_ejection_percent = static_cast<int>(section.integer("max_ejection_percent", settings.max_ejection_percent, 0, 100));
  settings.interval_seconds = static_cast<int>(section.integer("interval_seconds", settings.interval_seconds, 1, 3600));
  settings.success_rate_minimum_hosts =
      static_cast<int>(section.integer("success_rate_minimum_hosts", settings.success_rate_minimum_hosts, 2, 1'000'000));
  settings.success_rate_request_volume =
      static_cast<int>(section.integer("success_rate_request_volume", settings.success_rate_request_volume, 1, 1'000'000'000));
  settings.success_rate_stdev_factor = section.number("success_rate_stdev_factor", settings.success_rate_stdev_factor, 0, 100);
  section.finish();
  return settings;
}

}  // namespace

CircuitBreakingSettings read_circuit_breaking(yaml::MapReader& top) {
  yaml::MapReader section(top.source(), top.node("circuit_breaking"), "circuit_breaking");
  CircuitBreakingSettings settings;
  if (section.has("breaker")) settings.breaker_where[""] = yaml::where(top.source(), section.node("breaker"));
  settings.breaker = section.string("breaker", "");
  yaml::MapReader services(top.source(), section.node("services"), section.path("services"));
  for (const auto& entry : services.self().IsMap() ? services.self() : YAML::Node(YAML::NodeType::Map)) {
    const std::string name = entry.first.Scalar();
    yaml::MapReader service(top.source(), services.node(name), services.path(name));
    if (service.has("breaker")) {
      settings.breaker_where[name] = yaml::where(top.source(), service.node("breaker"));
      settings.service_breaker[name] = service.string("breaker", "");
    }
    service.finish();
  }
  services.finish();
  section.finish();
  return settings;
}

LoadBalancingSettings read_load_balancing(yaml::MapReader& top) {
  yaml::MapReader section(top.source(), top.node("load_balancing"), "load_balancing");
  LoadBalancingSettings settings;
  settings.panic_threshold_percent = static_cast<int>(section.integer("panic_threshold_percent", 0, 0, 100));
  if (section.has("balancer")) settings.balancer_where[""] = yaml::where(top.source(), section.node("balancer"));
  settings.balancer = section.string("balancer", "");
  settings.slow_start = read_slow_start(section, settings.slow_start);
  settings.lease_seconds = static_cast<int>(section.integer("lease_seconds", settings.lease_seconds, 1, 60));
  settings.latency_decay_seconds = static_cast<int>(section.integer("latency_decay_seconds", settings.latency_decay_seconds, 1, 3600));
  settings.outlier_detection = read_outlier_detection(section);
  yaml::MapReader services(top.source(), section.node("services"), section.path("services"));
  for (const auto& entry : services.self().IsMap() ? services.self() : YAML::Node(YAML::NodeType::Map)) {
    const std::string name = entry.first.Scalar();
    yaml::MapReader service(top.source(), services.node(name), services.path(name));
    settings.service_panic_threshold_percent[name] =
        static_cast<int>(service.integer("panic_threshold_percent", settings.panic_threshold_percent, 0, 100));
    if (service.has("balancer")) {
      settings.balancer_where[name] = yaml::where(top.source(), service.node("balancer"));
      settings.service_balancer[name] = service.string("balancer", "");
    }
    if (service.has("slow_start")) settings.service_slow_start[name] = read_slow_start(service, settings.slow_start);
    service.finish();
  }
  services.finish();
  section.finish();
  return settings;
}

}  // namespace hub
