// The `backups` section of a deployment YAML.
#pragma once

#include "yaml_reader.hpp"

#include <hub/backup_settings.hpp>

namespace hub {

BackupSettings read_backups(yaml::MapReader& top);

}  // namespace hub
