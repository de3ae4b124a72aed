// tcp: the target accepts a connection.
#pragma once

#include "timed_check.hpp"

namespace hub::probes {

class TcpProbe {
 public:
  explicit TcpProbe(const hub::Context& context) : host_(context.host) {}
  hub::ProbeResult check(const hub::ProbeTarget& target, hub::Deadline deadline) {
    return timed_check(host_, deadline, [&](SteadyTime until) {
      DeadlineSocket socket(std::string(target.host()), target.port(), until);
      return hub::ProbeResult::healthy("connected to " + socket.peer());
    });
  }

 private:
  hub::Host host_;
};

}  // namespace hub::probes
