// The load-balancer plugin: the balancers /discover can pick instances with.
#include "load_balancer_plugin.hpp"
#include "random_pick.hpp"
#include "round_robin.hpp"
#include "weighted_round_robin.hpp"

HUB_PLUGIN(load_balancer_plugin, "load-balancer", "1.1.0", "Load balancers: round_robin, random, weighted_round_robin",
           HUB_LOAD_BALANCER("round_robin", hub::load_balancer::RoundRobin), HUB_LOAD_BALANCER("random", hub::load_balancer::RandomPick),
           HUB_LOAD_BALANCER("weighted_round_robin", hub::load_balancer::WeightedRoundRobin))
