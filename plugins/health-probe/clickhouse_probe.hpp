// clickhouse: the HTTP interface's GET /ping, which answers "Ok.".
#pragma once

#include "http_get.hpp"
#include "timed_check.hpp"

namespace hub::probes {

class ClickHouseProbe {
 public:
  explicit ClickHouseProbe(const hub::Context& context) : host_(context.host) {}
  hub::ProbeResult check(const hub::ProbeTarget& target, hub::Deadline deadline) {
    return timed_check(host_, deadline, [&](SteadyTime until) {
      const HttpAnswer answer = http_get(target, "/ping", until);
      if (answer.status != 200) return hub::ProbeResult::down("GET /ping: " + std::to_string(answer.status) + " " + answer.reason);
      if (answer.body.rfind("Ok.", 0) != 0)
        return hub::ProbeResult::down("GET /ping answered 200 but not 'Ok.': '" + answer.body.substr(0, 40) + "'");
      return hub::ProbeResult::healthy("ping: Ok.");
    });
  }

 private:
  hub::Host host_;
};

}  // namespace hub::probes
