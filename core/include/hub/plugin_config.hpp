// One enabled implementation's config section, in the two forms the ABI hands
// to plugins: a JSON object and its scalar leaves flattened to dotted keys.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace hub {

struct PluginConfig {
  std::string json = "{}";
  std::vector<std::pair<std::string, std::string>> entries;
  // For messages about a key: where each entry's key sits ("FILE:LINE:COLUMN") and the
  // section's own path in the manifest ("plugins.libraries[0].enable[1].config").
  std::map<std::string, std::string> where;
  std::string path = "config";

  // Parses a YAML (or JSON) mapping written in code; throws ManifestError.
  static PluginConfig from_yaml(const std::string& text);
};

}  // namespace hub
