// What a probe throws when its target fails the check: the message is what
// the operator reads ("connect 10.0.0.5:5432: connection refused").
#pragma once

#include <stdexcept>
#include <string>

namespace hub::probes {

class ProbeFailure : public std::runtime_error {
 public:
  explicit ProbeFailure(const std::string& message) : std::runtime_error(message) {}
};

}  // namespace hub::probes
