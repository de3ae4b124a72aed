// The registry's HTTP endpoints, the seed's paths and payloads:
//   POST /register, /heartbeat, /deregister
//   GET  /services?status=&tag=, /services/{name}, /services/{name}/dependencies, /discover/{name}
// Without a registry (no discovery plugin enabled) each answers 501 saying so.
#pragma once

#include "balancing/balancer.hpp"
#include "http/router.hpp"
#include "registry/registry.hpp"
#include "security/registration_policy.hpp"

namespace hub {

// /discover picks through `balancer`; both are null, or neither. A registration whose host `policy`
// refuses gets 403 host_refused naming the rule; `policy` must outlive the router.
// 501 discovery_not_enabled, for the routes that need a registry when the deployment has none.
http::Response discovery_not_enabled(const http::Request& request);

void add_registry_routes(http::Router& router, Registry* registry, Balancer* balancer, const security::RegistrationPolicy& policy);

}  // namespace hub
