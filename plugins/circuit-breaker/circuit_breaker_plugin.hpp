// The circuit-breaker plugin's descriptor, for linking it statically: the core does, so that every
// deployment has a breaker per service whatever its manifest loads.
#pragma once

#include <hub/plugin_api.h>

#include <cstdint>

const hub_plugin_descriptor* circuit_breaker_plugin(uint32_t host_abi_version);
