// One enabled implementation's config section, in the two forms the ABI hands
// to plugins: a JSON object and its scalar leaves flattened to dotted keys.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace hub {

struct PluginConfig {
  std::string json = "{}";
  std::vector<std::pair<std::string, std::string>> entries;

  // Parses a YAML (or JSON) mapping written in code; throws ConfigError.
  static PluginConfig from_yaml(const std::string& text);
};

}  // namespace hub
