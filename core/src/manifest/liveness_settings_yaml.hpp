// The `liveness` and `load_balancing` sections of a manifest.
#pragma once

#include "yaml_reader.hpp"

#include <hub/balancing_settings.hpp>
#include <hub/liveness_settings.hpp>

namespace hub {

LivenessSettings read_liveness(yaml::MapReader& top);
LoadBalancingSettings read_load_balancing(yaml::MapReader& top);

}  // namespace hub
