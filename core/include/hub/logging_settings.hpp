// The `logging` section.
#pragma once

#include <string>

namespace hub {

struct LoggingSettings {
  std::string level = "info";  // trace, debug, info, warn, error, off
  enum class Format { text, json };
  Format format = Format::text;
};

}  // namespace hub
