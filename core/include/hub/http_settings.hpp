// The `http` section: the limits of the HTTP front.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace hub {

struct ListenAddress {
  std::string host = "127.0.0.1";
  uint16_t port = 8001;
  std::string to_string() const { return host + ":" + std::to_string(port); }
  static ListenAddress parse(const std::string& text);  // "HOST:PORT"; throws std::invalid_argument
};

struct HttpSettings {
  int io_threads = 0;  // event loops; 0: one per core, at most 4
  int threads = 8;     // workers for handlers that may wait on storage
  int max_queued = 1024;
  size_t max_body_bytes = 1 << 20;
  size_t max_header_bytes = 64 * 1024;  // the request line and headers
  int idle_timeout_seconds = 60;        // a keep-alive connection silent this long is closed
  int header_timeout_seconds = 10;      // from a request's first byte to the end of its headers
  int body_timeout_seconds = 60;        // from the end of the headers to the end of the body
  // Open connections, all event loops together. 0: the descriptor limit less a reserve for
  // storage, probes and plugins. At the cap the longest-idle connection makes room for a new one.
  int max_connections = 0;
};

}  // namespace hub
