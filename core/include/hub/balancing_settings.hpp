// The `load_balancing` and `circuit_breaking` sections.
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

// Envoy's outlier detection, on the outcomes callers report: an instance that fails
// `consecutive_failures` calls in a row, or whose success rate falls below the fleet's mean by
// `success_rate_stdev_factor` deviations, is ejected from the candidates for base_ejection_seconds
// times the number of its ejections, at most max_ejection_seconds. Never more than
// max_ejection_percent of a service's instances are ejected at once: exactly, so 10% of 5 is none.
struct OutlierDetection {
  int consecutive_failures = 5;  // 0: off
  int base_ejection_seconds = 30;
  int max_ejection_seconds = 300;
  int max_ejection_percent = 10;
  int interval_seconds = 10;  // how often success rates are compared
  int success_rate_minimum_hosts = 5;
  int success_rate_request_volume = 100;   // calls an instance needs in an interval to be judged
  double success_rate_stdev_factor = 1.9;  // 0: success-rate ejection off
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
  OutlierDetection outlier_detection;
};

// Which circuit_breaker implementation guards each service (the `circuit_breaking` section).
struct CircuitBreakingSettings {
  std::string breaker;  // an enabled circuit_breaker's id; empty: the built-in sliding_window
  std::map<std::string, std::string> service_breaker;
  std::map<std::string, std::string> breaker_where;  // "" or a service name -> "FILE:LINE:COLUMN"
  const std::string& breaker_for(const std::string& service) const {
    auto found = service_breaker.find(service);
    return found == service_breaker.end() ? breaker : found->second;
  }
};

}  // namespace hub
