// postgres: connects through libpqxx and runs a query (SELECT 1 unless
// `query` says otherwise). The target's endpoint may be a whole connection
// string; otherwise one is built from the target's host and port and the
// config's dbname and user, with the password from `password_env`.
//
//   config: {dbname: central_hub, user: hub, password_env: CENTRAL_HUB_DB_PASSWORD}
#pragma once

#include "timed_check.hpp"

#include <string>

namespace hub::probes {

class PostgresProbe {
 public:
  explicit PostgresProbe(const hub::Context& context);
  hub::ProbeResult check(const hub::ProbeTarget& target, hub::Deadline deadline);

 private:
  std::string connection_string(const hub::ProbeTarget& target, SteadyTime deadline) const;

  hub::Host host_;
  std::string dbname_, user_, password_env_, query_;
};

}  // namespace hub::probes
