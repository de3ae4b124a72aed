// The `config_management` section.
#pragma once

#include <cstddef>

namespace hub {

// Versioned configs (the `config_management` section).
struct ConfigManagementSettings {
  int retention_versions = 20;  // versions kept per service besides the active one
  size_t max_config_bytes = 256 * 1024;
  int max_depth = 32;
  int max_watch_seconds = 300;  // the longest a blocking query may wait
};

}  // namespace hub
