// One HTTP/1.1 GET over a DeadlineSocket, as the http and clickhouse probes
// need it: the status line and the body (Content-Length, chunked, or up to
// the peer's close), bounded in size.
#pragma once

#include "deadline_socket.hpp"

#include <string>

namespace hub::probes {

struct HttpAnswer {
  int status = 0;
  std::string reason;
  std::string body;
};

HttpAnswer http_get(const std::string& host, uint32_t port, const std::string& path, SteadyTime deadline);

}  // namespace hub::probes
