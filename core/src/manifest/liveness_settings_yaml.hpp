// The `liveness` and `load_balancing` sections of a deployment.
#pragma once

#include "yaml_reader.hpp"

#include <hub/deployment.hpp>

namespace hub {

LivenessSettings read_liveness(yaml::MapReader& top);
LoadBalancingSettings read_load_balancing(yaml::MapReader& top);

}  // namespace hub
