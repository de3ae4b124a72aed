// Load balancing and circuit breaking through the hub:
//   GET  /lb/{service}[?key=...]     the instance the service's balancer picks, leased until reported;
//                                    503 circuit_open while its circuit lets no call through
//   POST /outcomes                   a caller's batch of call outcomes
//   POST /drain                      an instance asks for no new calls, or for calls again
//   GET  /circuits, /circuits/{service}, PUT /circuits/{service}/state
// Without a registry (no discovery plugin enabled) each answers 501 saying so.
#pragma once

#include "balancing/balancer.hpp"
#include "balancing/circuits.hpp"
#include "http/router.hpp"

namespace hub {

// `balancer` and `circuits` are null, or neither.
void add_balancing_routes(http::Router& router, Balancer* balancer, Circuits* circuits, std::shared_ptr<const Clock> clock);

}  // namespace hub
