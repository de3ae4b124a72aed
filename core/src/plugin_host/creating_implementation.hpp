// The implementation whose create() runs on this thread, set by
// PluginInstance::create for the length of the call. A proxy's create
// (isolation: process) learns from it which library and implementation it
// stands for, since the ABI's create() carries no such context.
#pragma once

#include <hub/plugin_api.h>

namespace hub {

const hub_implementation* implementation_being_created();

}  // namespace hub
