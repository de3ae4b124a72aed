// Turns a YAML config section into the PluginConfig handed to plugins.
#pragma once

#include "yaml_reader.hpp"

#include <hub/plugin_config.hpp>

namespace hub {

PluginConfig plugin_config_from_yaml(const yaml::Source& source, const YAML::Node& node, const std::string& path);

}  // namespace hub
