// The plugins a manifest enables: libraries loaded, instances created from
// their config sections. Owned by the hub; released instances-first.
#pragma once

#include <hub/hub.hpp>
#include <hub/manifest.hpp>
#include "plugin_host/plugin_instance.hpp"

#include "isolation/plugin_process.hpp"

#include <spdlog/logger.h>

#include <map>
#include <memory>
#include <vector>

namespace hub {

// Plugin log lines go to a child of the hub's logger named after the instance.
HostServices plugin_services(std::shared_ptr<Clock> clock, std::shared_ptr<Metrics> metrics, std::shared_ptr<spdlog::logger> logger);

class PluginSet {
 public:
  ~PluginSet() { clear(); }
  // All or nothing: on the first failure everything made so far is released
  // and a PluginError says where in the manifest it came from.
  void load(const Manifest& manifest, const std::vector<StaticPlugin>& static_plugins, const HostServices& services);
  void clear();
  // For an instance a thread is still inside of at stop (a hung probe): it is
  // never destroyed and its library never unloaded, so that thread stays safe.
  void abandon(const PluginInstance* instance);

  // Another handle of the enabled implementation `id`, made from the same config, or of the
  // built-in round_robin load balancer when `id` is empty (kinds that need a handle per
  // service or target). Throws PluginError.
  std::unique_ptr<PluginInstance> another(const std::string& id, std::string new_id, const HostServices& services) const;

  const std::vector<std::shared_ptr<const PluginLibrary>>& libraries() const { return libraries_; }
  const std::vector<std::unique_ptr<PluginInstance>>& instances() const { return instances_; }
  // A library run in a process of its own (isolation: process), or nullptr.
  const isolation::PluginProcess* process_of(const PluginLibrary& library) const;

 private:
  std::shared_ptr<const PluginLibrary> load_isolated(PluginLoader& loader, const PluginLibrarySettings& settings,
                                                     const HostServices& services);

  std::vector<std::shared_ptr<const PluginLibrary>> libraries_;
  std::vector<std::pair<const PluginLibrary*, std::shared_ptr<const isolation::PluginProcess>>> processes_;
  std::vector<std::unique_ptr<PluginInstance>> instances_;
  struct Recipe {
    std::shared_ptr<const PluginLibrary> library;
    const hub_implementation* implementation = nullptr;
    PluginConfig config;
  };
  std::map<std::string, Recipe> recipes_;  // by instance id
};

// The library linked into the core that holds round_robin, the default load balancer.
inline constexpr const char* kBuiltinBalancers = "load-balancer";
// A handle of the built-in round_robin.
std::unique_ptr<PluginInstance> builtin_round_robin(std::string id, const HostServices& services);
// The library linked into the core that holds sliding_window, the default circuit breaker.
inline constexpr const char* kBuiltinBreakers = "circuit-breaker";
// A handle of the built-in sliding_window with its defaults.
std::unique_ptr<PluginInstance> builtin_breaker(std::string id, const HostServices& services);
// The library linked into the core that holds the rolling, canary and blue_green strategies.
inline constexpr const char* kBuiltinCoordinators = "deployment-coordinator";
// A handle of the built-in strategy `name`; nullptr when there is none of that name.
std::unique_ptr<PluginInstance> builtin_coordinator(const std::string& name, const HostServices& services);

}  // namespace hub
