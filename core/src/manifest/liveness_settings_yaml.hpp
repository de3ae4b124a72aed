// The `liveness`, `load_balancing` and `circuit_breaking` sections of a manifest.
#pragma once

#include "yaml_reader.hpp"

#include <hub/balancing_settings.hpp>
#include <hub/liveness_settings.hpp>

namespace hub {

LivenessSettings read_liveness(yaml::MapReader& top);
LoadBalancingSettings read_load_balancing(yaml::MapReader& top);
CircuitBreakingSettings read_circuit_breaking(yaml::MapReader& top);

}  // namespace hub
