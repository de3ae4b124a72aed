#include "kinds.hpp"

namespace hub {

namespace {

#define HUB_HOOK(vtable, member)      \
  Kind::Hook {                        \
#member, offsetof(vtable, member) \
  }
#define HUB_COMMON_HOOKS(vtable) HUB_HOOK(vtable, create), HUB_HOOK(vtable, destroy), HUB_HOOK(vtable, get_last_error)

// Every vtable starts as hub_vtable_header does, so the core reads any of them through it.
#define HUB_STARTS_WITH_HEADER(vtable)                                                               \
  static_assert(offsetof(vtable, create) == offsetof(hub_vtable_header, create) &&                   \
                    offsetof(vtable, destroy) == offsetof(hub_vtable_header, destroy) &&             \
                    offsetof(vtable, get_last_error) == offsetof(hub_vtable_header, get_last_error), \
                #vtable " must begin with hub_vtable_header's members")
HUB_STARTS_WITH_HEADER(hub_discovery_vtable);
HUB_STARTS_WITH_HEADER(hub_health_probe_vtable);
HUB_STARTS_WITH_HEADER(hub_load_balancer_vtable);
HUB_STARTS_WITH_HEADER(hub_circuit_breaker_vtable);
HUB_STARTS_WITH_HEADER(hub_deployment_coordinator_vtable);

}  // namespace

const std::vector<Kind>& kinds() {
  static const std::vector<Kind> table{
      {HUB_KIND_DISCOVERY,
       "discovery",
       {HUB_COMMON_HOOKS(hub_discovery_vtable), HUB_HOOK(hub_discovery_vtable, start), HUB_HOOK(hub_discovery_vtable, stop)}},
      {HUB_KIND_HEALTH_PROBE, "health_probe", {HUB_COMMON_HOOKS(hub_health_probe_vtable), HUB_HOOK(hub_health_probe_vtable, check)}},
      {HUB_KIND_LOAD_BALANCER,
       "load_balancer",
       {HUB_COMMON_HOOKS(hub_load_balancer_vtable), HUB_HOOK(hub_load_balancer_vtable, update_candidates),
        HUB_HOOK(hub_load_balancer_vtable, pick)}},
      {HUB_KIND_CIRCUIT_BREAKER,
       "circuit_breaker",
       {HUB_COMMON_HOOKS(hub_circuit_breaker_vtable), HUB_HOOK(hub_circuit_breaker_vtable, acquire),
        HUB_HOOK(hub_circuit_breaker_vtable, record)}},
      {HUB_KIND_DEPLOYMENT_COORDINATOR,
       "deployment_coordinator",
       {HUB_COMMON_HOOKS(hub_deployment_coordinator_vtable), HUB_HOOK(hub_deployment_coordinator_vtable, next_step)}},
  };
  return table;
}

const Kind* find_kind(hub_kind id) {
  for (const Kind& kind : kinds())
    if (kind.id == id) return &kind;
  return nullptr;
}

const Kind* find_kind(std::string_view name) {
  for (const Kind& kind : kinds())
    if (name == kind.name) return &kind;
  return nullptr;
}

std::string kind_name(hub_kind id) {
  const Kind* kind = find_kind(id);
  return kind ? kind->name : "unknown kind " + std::to_string(id);
}

std::string kind_names() {
  std::string names;
  const auto& table = kinds();
  for (size_t i = 0; i < table.size(); ++i) names += (i == 0 ? "" : i + 1 == table.size() ? " or " : ", ") + std::string(table[i].name);
  return names;
}

}  // namespace hub
