// Where hubctl finds the hub and how it proves who it is: flags first, then the environment
// (HUB_URL or CENTRAL_HUB_URL, HUB_TOKEN, HUB_CA_FILE), then the config file
// (~/.config/hubctl/config.yaml, or --config): `hub: http://…`, `token: …`, `ca_file: …`.
#pragma once

#include <string>

namespace hubctl {

struct Settings {
  std::string hub;  // one URL, or several separated by commas
  std::string token;
  std::string ca_file;
  std::string config_file;       // empty: the default path, if it exists
  std::string output = "table";  // table, json or yaml
};

// Fills what the flags left empty from the environment, then the file. Throws std::runtime_error
// naming the file and the problem when the file cannot be read.
Settings resolved(Settings given);

}  // namespace hubctl
