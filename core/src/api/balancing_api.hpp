// Load balancing through the hub:
//   GET  /lb/{service}[?key=...]  the instance the service's balancer picks, leased until reported
//   POST /outcomes                a caller's batch of call outcomes
// Without a registry (no discovery plugin enabled) each answers 501 saying so.
#pragma once

#include "balancing/balancer.hpp"
#include "http/router.hpp"

namespace hub {

void add_balancing_routes(http::Router& router, Balancer* balancer);

}  // namespace hub
