// The five plugin kinds, in one table: their names and the hooks each must
// provide. The loader checks vtables against it, the YAML reader names kinds
// from it, and /plugins reports them by it.
#pragma once

#include <hub/plugin_api.h>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace hub {

struct Kind {
  struct Hook {
    const char* name;
    size_t offset;  // in the kind's vtable
  };
  hub_kind id;
  const char* name;  // as the YAML and /plugins write it
  std::vector<Hook> required;
};

const std::vector<Kind>& kinds();
const Kind* find_kind(hub_kind id);
const Kind* find_kind(std::string_view name);
// "discovery", ..., or "unknown kind 9".
std::string kind_name(hub_kind id);
// "discovery, health_probe, load_balancer, circuit_breaker or deployment_coordinator"
std::string kind_names();

}  // namespace hub
