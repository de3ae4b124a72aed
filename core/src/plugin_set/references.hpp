// What one part of a manifest names in another must exist once its plugins
// are made: the health probes that health_monitoring names are enabled
// health_probe instances, and at most one discovery instance is a liveness
// policy. hubd --check-config and a start check it alike, so a file the check
// passes never fails to start for it.
#pragma once

#include "plugin_set.hpp"

#include <hub/manifest.hpp>

namespace hub {

// Throws ManifestError "FILE:LINE:COLUMN: KEY: what is wrong".
void check_references(const Manifest& manifest, const PluginSet& plugins);

}  // namespace hub
