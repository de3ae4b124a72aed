// The `load_balancing` section.
#pragma once

#include <map>
#include <string>

namespace hub {

// Envoy's slow start: an instance that just became a healthy candidate gets a share of the picks
// that grows with its age, ((age / window) ^ (1 / aggression)), from min_weight_percent to all of
// them at the end of the window. Instances a service had when the hub first balanced it are warm.
struct SlowStart {
  int window_seconds = 0;  // 0: off
  double aggression = 1.0;
  int min_weight_percent = 10;
};

// How lookups choose among a service's instances (the `load_balancing` section).
struct LoadBalancingSettings {
  // When fewer than this percentage of a service's instances are healthy, /discover picks among all
  // of them, down ones included, instead of answering 503 (Envoy's panic threshold). 0: off.
  int panic_threshold_percent = 0;
  std::map<std::string, int> service_panic_threshold_percent;  // per service, over the default
  int panic_threshold_for(const std::string& service) const {
    auto found = service_panic_threshold_percent.find(service);
    return found == service_panic_threshold_percent.end() ? panic_threshold_percent : found->second;
  }
  // The enabled load_balancer implementation (its id) that picks; empty: the built-in round_robin.
  std::string balancer;
  std::map<std::string, std::string> service_balancer;  // per service, over the default
  std::map<std::string, std::string> balancer_where;    // "" or a service name -> "FILE:LINE:COLUMN"
  const std::string& balancer_for(const std::string& service) const {
    auto found = service_balancer.find(service);
    return found == service_balancer.end() ? balancer : found->second;
  }
  SlowStart slow_start;
  std::map<std::string, SlowStart> service_slow_start;  // per service, over the default
  const SlowStart& slow_start_for(const std::string& service) const {
    auto found = service_slow_start.find(service);
    return found == service_slow_start.end() ? slow_start : found->second;
  }
  // A pick through GET /lb counts as a call in flight until its outcome is reported, or this long.
  int lease_seconds = 30;
  // How fast a slow call's mark on an instance's latency (peak EWMA) fades: the average's time constant.
  int latency_decay_seconds = 10;
};

}  // namespace hub
