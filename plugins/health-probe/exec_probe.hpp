// exec: runs the target's endpoint as a shell command, as Nagios plugins and
// Consul's script checks do. Exit code 0 is passing, 1 warning (degraded),
// 2 critical (down); anything else is down too. The last line the command
// prints becomes the message. At the deadline the command's whole process
// group is killed.
//
//   infrastructure: [{name: backups, probe: exec-check, endpoint: "/usr/local/bin/check_backups --max-age 26h"}]
#pragma once

#include "timed_check.hpp"

namespace hub::probes {

class ExecProbe {
 public:
  explicit ExecProbe(const hub::Context& context);
  hub::ProbeResult check(const hub::ProbeTarget& target, hub::Deadline deadline);

 private:
  hub::Host host_;
  std::string shell_;
};

}  // namespace hub::probes
