// http: a GET of the instance's health endpoint. Healthy when the status is
// one of `expected_status` (default: any 2xx); degraded when the body says
// "status": "degraded", as the seed's services report themselves. HTTPS when
// the target's protocol is https, verified against `ca_file` or the system's CAs.
// Redirects are not followed unless `max_redirects` says so.
//
//   config: {path: /health, expected_status: [200, 204], max_redirects: 0, ca_file: /etc/ssl/internal-ca.pem}
#pragma once

#include "http_get.hpp"
#include "timed_check.hpp"

#include <string>
#include <vector>

namespace hub::probes {

class HttpProbe {
 public:
  explicit HttpProbe(const hub::Context& context);
  hub::ProbeResult check(const hub::ProbeTarget& target, hub::Deadline deadline);

 private:
  bool expected(int status) const;

  hub::Host host_;
  std::string default_path_;
  std::vector<int> expected_status_;
  HttpOptions options_;
};

}  // namespace hub::probes
