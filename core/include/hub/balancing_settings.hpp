// The `load_balancing` section.
#pragma once

#include <map>
#include <string>

namespace hub {

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
};

}  // namespace hub
