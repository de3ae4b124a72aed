// One HTTP GET as the http and clickhouse probes need it, through the hub's
// libcurl client: the status, the reason and the body, all within the check's
// deadline. A health answer is small: headers or a body past 64 KiB fail the
// check. HTTPS when the target's protocol is https.
#pragma once

#include "deadline_socket.hpp"

#include <hub/plugin.hpp>

#include <string>

namespace hub::probes {

struct HttpAnswer {
  int status = 0;
  std::string reason;
  std::string body;
};

struct HttpOptions {
  long max_redirects = 0;
  std::string ca_file;  // HTTPS: the CAs to trust; empty: the system's
};

// `path` must be an origin-form target ("/health?full=1"); anything else is a ProbeFailure.
HttpAnswer http_get(const hub::ProbeTarget& target, const std::string& path, SteadyTime deadline, const HttpOptions& options = {});

}  // namespace hub::probes
