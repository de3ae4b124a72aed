// The load-balancer plugin: the balancers /lb and /discover can pick instances with.
#include "load_balancer_plugin.hpp"
#include "least_load.hpp"
#include "least_request.hpp"
#include "maglev.hpp"
#include "peak_ewma.hpp"
#include "random_pick.hpp"
#include "ring_hash.hpp"
#include "round_robin.hpp"
#include "weighted_round_robin.hpp"

HUB_PLUGIN(load_balancer_plugin, "load-balancer", "1.2.0",
           "Load balancers: round_robin, random, weighted_round_robin, least_load, least_request, peak_ewma, ring_hash, maglev",
           HUB_LOAD_BALANCER("round_robin", hub::load_balancer::RoundRobin), HUB_LOAD_BALANCER("random", hub::load_balancer::RandomPick),
           HUB_LOAD_BALANCER("weighted_round_robin", hub::load_balancer::WeightedRoundRobin),
           HUB_LOAD_BALANCER("least_load", hub::load_balancer::LeastLoad),
           HUB_LOAD_BALANCER("least_request", hub::load_balancer::LeastRequest),
           HUB_LOAD_BALANCER("peak_ewma", hub::load_balancer::PeakEwma), HUB_LOAD_BALANCER("ring_hash", hub::load_balancer::RingHash),
           HUB_LOAD_BALANCER("maglev", hub::load_balancer::Maglev))
