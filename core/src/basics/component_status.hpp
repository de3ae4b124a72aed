// The health of one dependency of the hub (its storage, NATS), as /health shows it.
#pragma once

#include <string>

namespace hub {

struct ComponentStatus {
  std::string status;  // healthy, down
  std::string message;
  double latency_ms = 0;
};

}  // namespace hub
