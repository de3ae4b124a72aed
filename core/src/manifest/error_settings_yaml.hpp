#pragma once

#include "manifest/yaml_reader.hpp"

#include <hub/error_settings.hpp>

namespace hub {

// The `errors` section; every key optional.
ErrorSettings read_errors(yaml::MapReader& top);

}  // namespace hub
