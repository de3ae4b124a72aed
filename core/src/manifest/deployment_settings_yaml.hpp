// The `deployments` section of a deployment YAML.
#pragma once

#include "yaml_reader.hpp"

#include <hub/deployment_settings.hpp>

namespace hub {

DeploymentSettings read_deployments(yaml::MapReader& top);
// The `gates` mapping of the section (and, with the same keys, of a POST /deployments).
GateSettings read_gates(yaml::MapReader& gates, GateSettings defaults);

}  // namespace hub
