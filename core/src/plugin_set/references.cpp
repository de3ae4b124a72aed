#include "references.hpp"

#include "plugin_host/kinds.hpp"

#include <hub/errors.hpp>

#include <algorithm>
#include <set>

namespace hub {

namespace {

std::set<std::string> probe_ids(const PluginSet& plugins) {
  std::set<std::string> ids;
  for (const auto& instance : plugins.instances())
    if (instance->kind() == HUB_KIND_HEALTH_PROBE) ids.insert(instance->id());
  return ids;
}

void check_probe(const std::set<std::string>& enabled, const std::string& probe, const std::string& where, const std::string& key) {
  if (enabled.count(probe)) return;
  std::string list;
  for (const std::string& id : enabled) list += (list.empty() ? "" : ", ") + id;
  throw ManifestError(where + ": " + key + ": '" + probe + "' is not an enabled health_probe implementation (enabled: " +
                      (list.empty() ? "none; enable one under plugins" : list) + ")");
}

std::string where_enabled(const Manifest& manifest, const std::string& id) {
  for (const PluginLibrarySettings& library : manifest.plugins)
    for (const EnabledImplementation& enabled : library.enable)
      if (enabled.id == id) return enabled.where;
  return manifest.name;
}

void check_liveness_policies(const Manifest& manifest, const PluginSet& plugins) {
  const PluginInstance* first = nullptr;
  for (const auto& instance : plugins.instances()) {
    if (instance->kind() != HUB_KIND_DISCOVERY) continue;
    const auto& vtable = instance->vtable<hub_discovery_vtable>();
    if (!HUB_HAS_MEMBER(&vtable, hub_discovery_vtable, assess_liveness) || !vtable.assess_liveness) continue;
    if (!first) {
      first = instance.get();
      continue;
    }
    throw ManifestError(where_enabled(manifest, instance->id()) + ": '" + instance->id() + "' is a second liveness policy after '" +
                        first->id() + "' (" + where_enabled(manifest, first->id()) + "); enable one of them");
  }
}

// A section naming an implementation of `kind` for every service or for one ("balancer" in
// load_balancing, "breaker" in circuit_breaking): each name must be enabled.
void check_chosen(const PluginSet& plugins, hub_kind kind, const std::string& section, const std::string& key, const std::string& fallback,
                  const std::string& chosen, const std::map<std::string, std::string>& per_service,
                  const std::map<std::string, std::string>& where_written) {
  std::set<std::string> enabled;
  for (const auto& instance : plugins.instances())
    if (instance->kind() == kind) enabled.insert(instance->id());
  const auto check = [&](const std::string& scope, const std::string& id) {
    if (id.empty() || enabled.count(id)) return;
    std::string list;
    for (const std::string& name : enabled) list += (list.empty() ? "" : ", ") + name;
    const auto where = where_written.find(scope);
    throw ManifestError(
        (where == where_written.end() ? section : where->second) + ": " + (scope.empty() ? section : section + ".services." + scope) + "." +
        key + ": '" + id + "' is not an enabled " + kind_name(kind) + " implementation (enabled: " +
        (list.empty() ? "none; leave " + key + " out for the built-in " + fallback + ", or enable one under plugins" : list) + ")");
  };
  check("", chosen);
  for (const auto& [service, id] : per_service) check(service, id);
}

// deployments.strategies: each name stands for an enabled deployment_coordinator.
void check_strategies(const DeploymentSettings& deployments, const PluginSet& plugins) {
  std::string enabled;
  for (const auto& instance : plugins.instances())
    if (instance->kind() == HUB_KIND_DEPLOYMENT_COORDINATOR) enabled += (enabled.empty() ? "" : ", ") + instance->id();
  for (const auto& [name, id] : deployments.strategies) {
    const bool found = std::any_of(plugins.instances().begin(), plugins.instances().end(), [&](const auto& instance) {
      return instance->kind() == HUB_KIND_DEPLOYMENT_COORDINATOR && instance->id() == id;
    });
    if (found) continue;
    auto where = deployments.strategy_where.find(name);
    throw ManifestError((where == deployments.strategy_where.end() ? std::string("deployments") : where->second) +
                        ": deployments.strategies." + name + ": '" + id +
                        "' is not an enabled deployment_coordinator implementation (enabled: " +
                        (enabled.empty() ? "none; enable one under plugins" : enabled) + ")");
  }
}

}  // namespace

void check_references(const Manifest& manifest, const PluginSet& plugins) {
  const HealthMonitoringSettings& health = manifest.health_monitoring;
  if (health.enabled) {
    const std::set<std::string> enabled = probe_ids(plugins);
    if (!health.service_probe.empty())
      check_probe(enabled, health.service_probe, health.service_probe_where, "health_monitoring.service_probe");
    for (size_t i = 0; i < health.infrastructure.size(); ++i)
      check_probe(enabled, health.infrastructure[i].probe, health.infrastructure[i].probe_where,
                  "health_monitoring.infrastructure[" + std::to_string(i) + "].probe");
  }
  check_liveness_policies(manifest, plugins);
  const LoadBalancingSettings& balancing = manifest.load_balancing;
  check_chosen(plugins, HUB_KIND_LOAD_BALANCER, "load_balancing", "balancer", "round_robin", balancing.balancer, balancing.service_balancer,
               balancing.balancer_where);
  const CircuitBreakingSettings& breaking = manifest.circuit_breaking;
  check_chosen(plugins, HUB_KIND_CIRCUIT_BREAKER, "circuit_breaking", "breaker", "sliding_window", breaking.breaker,
               breaking.service_breaker, breaking.breaker_where);
  check_strategies(manifest.deployments, plugins);
}

}  // namespace hub
