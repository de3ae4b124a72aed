// Picks a service's instance through a load_balancer implementation, the way
// the core calls every kind: one plugin handle per service, handed the
// service's candidates whenever its instances change, asked to pick on each
// lookup. Which instances are candidates is the core's rule: the healthy ones,
// the degraded ones when none is healthy, and all of them in panic (fewer
// healthy than the service's panic threshold: Envoy's panic mode).
#pragma once

#include "registry/registry.hpp"

#include <hub/balancing_settings.hpp>
#include <hub/status.hpp>
#include "plugin_host/plugin_instance.hpp"

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

namespace hub {

class Balancer {
 public:
  // Makes the handle that balances `service`; throws PluginError when the plugin refuses.
  using MakeHandle = std::function<std::unique_ptr<PluginInstance>(const std::string& service)>;

  // What one pick chose from; immutable once built, so an answer derived from it stays true to it.
  struct Candidates {
    Registry::Version version;
    bool panic = false;
    std::vector<InstanceRecord> instances;  // in instance id order
  };
  struct Picked {
    Status status;  // not_found: no such service; unavailable: none can serve; internal: the plugin failed
    std::shared_ptr<const Candidates> candidates;
    size_t index = 0;
    const InstanceRecord& instance() const { return candidates->instances[index]; }
  };

  Balancer(const Registry& registry, LoadBalancingSettings settings, MakeHandle make_handle);
  ~Balancer();
  Balancer(const Balancer&) = delete;
  Balancer& operator=(const Balancer&) = delete;

  // `key` is the caller's affinity key, empty when it has none.
  Picked pick(const std::string& service, std::string_view key = {});
  // Services with a handle now; those the registry dropped go when the count passes a bound.
  size_t handles() const;

 private:
  struct State;
  std::shared_ptr<State> state_of(const std::string& service);
  void forget(const std::string& service);
  void refresh(State& state, const std::string& service);
  std::shared_ptr<const Candidates> candidates_of(const std::string& service, Registry::Snapshot snapshot) const;

  const Registry& registry_;
  const LoadBalancingSettings settings_;
  MakeHandle make_handle_;
  mutable std::shared_mutex mutex_;  // the map; each state has its own
  std::map<std::string, std::shared_ptr<State>, std::less<>> states_;
};

}  // namespace hub
