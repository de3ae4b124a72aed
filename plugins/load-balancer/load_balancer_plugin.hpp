// The load-balancer plugin's descriptor, for linking it statically: the core
// does, so that round_robin is there whatever a manifest loads.
#pragma once

#include <hub/plugin_api.h>

#include <cstdint>

const hub_plugin_descriptor* load_balancer_plugin(uint32_t host_abi_version);
