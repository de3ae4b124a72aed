// For linking the health probes statically (embedders, tests):
//   options.static_plugins.push_back({"health-probe", &health_probe_plugin});
#pragma once

#include <hub/plugin_api.h>

const hub_plugin_descriptor* health_probe_plugin(uint32_t host_abi_version);
