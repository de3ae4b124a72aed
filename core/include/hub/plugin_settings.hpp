// The `plugins` section: the libraries a hub loads and the implementations it enables.
#pragma once

#include <hub/plugin_config.hpp>
#include <string>
#include <vector>

namespace hub {

// One implementation to instantiate from a library.
struct EnabledImplementation {
  std::string implementation;  // as the plugin names it
  std::string kind;            // optional: checked against the plugin's
  std::string id;              // unique in the hub; defaults to the implementation
  PluginConfig config;
  std::string where;  // "FILE:LINE:COLUMN" for messages
};

struct PluginLibrarySettings {
  std::string library;  // a name found through search paths, a static plugin's name, or a path
  // in_process: loaded into the hub. process: run in a hub-plugin-host process of its own, so a
  // crash there is a down target and an alert, not a dead hub (health_probe and discovery only).
  enum class Isolation { in_process, process };
  Isolation isolation = Isolation::in_process;
  std::vector<EnabledImplementation> enable;
  std::string where;
};

}  // namespace hub
