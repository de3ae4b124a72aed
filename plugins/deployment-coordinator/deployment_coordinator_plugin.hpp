// The deployment-coordinator plugin's descriptor, for linking it statically: the core does, so
// that every deployment has the rolling, canary and blue_green strategies whatever its manifest loads.
#pragma once

#include <hub/plugin_api.h>

#include <cstdint>

const hub_plugin_descriptor* deployment_coordinator_plugin(uint32_t host_abi_version);
