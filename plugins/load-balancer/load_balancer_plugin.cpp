// The load-balancer plugin: the balancers /discover can pick instances with.
#include "load_balancer_plugin.hpp"
#include "round_robin.hpp"

HUB_PLUGIN(load_balancer_plugin, "load-balancer", "1.0.0", "Load balancers: round_robin",
           HUB_LOAD_BALANCER("round_robin", hub::load_balancer::RoundRobin))
