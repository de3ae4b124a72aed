#include "settings.hpp"

#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <filesystem>
#include <stdexcept>

namespace hubctl {

namespace {

std::string environment(const char* name) {
  const char* value = std::getenv(name);
  return value ? value : "";
}

std::string default_config_file() {
  const std::string home = environment("HOME");
  const std::string base = environment("XDG_CONFIG_HOME").empty() ? home + "/.config" : environment("XDG_CONFIG_HOME");
  return base + "/hubctl/config.yaml";
}

void fill(std::string& value, const std::string& from) {
  if (value.empty()) value = from;
}

}  // namespace

Settings resolved(Settings given) {
  fill(given.hub, environment("HUB_URL"));
  fill(given.hub, environment("CENTRAL_HUB_URL"));
  fill(given.token, environment("HUB_TOKEN"));
  fill(given.ca_file, environment("HUB_CA_FILE"));
  const bool named = !given.config_file.empty();
  const std::string file = named ? given.config_file : default_config_file();
  if (named || std::filesystem::exists(file)) {
    YAML::Node config;
    try {
      config = YAML::LoadFile(file);
    } catch (const YAML::Exception& error) {
      throw std::runtime_error(file + ": " + error.what());
    }
    if (config && !config.IsMap()) throw std::runtime_error(file + ": must be a mapping of hub, token and ca_file");
    for (const auto& [key, target] : {std::pair{"hub", &given.hub}, {"token", &given.token}, {"ca_file", &given.ca_file}})
      if (config && config[key]) {
        if (!config[key].IsScalar()) throw std::runtime_error(file + ": " + key + " must be a string");
        fill(*target, config[key].as<std::string>());
      }
  }
  fill(given.hub, "http://127.0.0.1:8001");
  return given;
}

}  // namespace hubctl
