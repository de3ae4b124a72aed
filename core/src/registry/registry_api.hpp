// The registry's HTTP endpoints, the seed's paths and payloads:
//   POST /register, /heartbeat, /deregister
//   GET  /services?status=&tag=, /services/{name}, /services/{name}/dependencies, /discover/{name}
// Without a registry (no discovery plugin enabled) each answers 501 saying so.
#pragma once

#include "http/router.hpp"
#include "registry.hpp"

namespace hub {

void add_registry_routes(http::Router& router, Registry* registry);

}  // namespace hub
