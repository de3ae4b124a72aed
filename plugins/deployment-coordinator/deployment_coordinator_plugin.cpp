// The deployment-coordinator plugin: rolling, canary and blue_green. Each only decides; the hub
// carries out the actions and keeps the rollout's state.
#include "deployment_coordinator_plugin.hpp"
#include "blue_green.hpp"
#include "canary.hpp"
#include "rolling.hpp"

HUB_PLUGIN(deployment_coordinator_plugin, "deployment-coordinator", "1.0.0",
           "Rollout strategies: rolling (batches), canary (weighted steps with gates), blue_green (switch with a rollback window)",
           HUB_DEPLOYMENT_COORDINATOR("rolling", hub::deployment::Rolling), HUB_DEPLOYMENT_COORDINATOR("canary", hub::deployment::Canary),
           HUB_DEPLOYMENT_COORDINATOR("blue_green", hub::deployment::BlueGreen))
