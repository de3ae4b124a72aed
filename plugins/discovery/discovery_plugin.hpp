// For linking the discovery plugin statically (embedders, tests):
//   options.static_plugins.push_back({"discovery", &discovery_plugin});
#pragma once

#include <hub/plugin_api.h>

const hub_plugin_descriptor* discovery_plugin(uint32_t host_abi_version);
