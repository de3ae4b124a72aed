// Reads the manifest's `health_monitoring` section.
#pragma once

#include "yaml_reader.hpp"

#include <hub/health_settings.hpp>

namespace hub {

HealthMonitoringSettings read_health_monitoring(yaml::MapReader& top);

}  // namespace hub
