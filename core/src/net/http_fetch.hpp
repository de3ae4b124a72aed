// One outbound HTTP exchange through libcurl, bounded on every side: a
// deadline covering resolve, connect and the whole answer; caps on the
// answer's headers and body; no redirects unless asked; no proxy from the
// environment; HTTP and HTTPS only, HTTPS with the peer's certificate
// verified. The hub's probes, its webhooks and http_call() speak HTTP
// through it, so no hand-written parser reads a peer's answer.
//
//   hub::net::FetchRequest request{.url = "http://10.0.0.7:8001/health", .deadline = now + 2s};
//   hub::net::FetchAnswer answer = hub::net::fetch(request);   // throws FetchError
//   answer.status;  // 200
#pragma once

#include <chrono>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <vector>

namespace hub::net {

struct FetchRequest {
  std::string method = "GET";
  std::string url;
  std::vector<std::string> headers;  // "Name: value"
  std::string body;
  std::chrono::steady_clock::time_point deadline;
  size_t max_body_bytes = 64 * 1024;    // the answer's body is cut there and `truncated` set
  size_t max_header_bytes = 64 * 1024;  // more than this fails the exchange
  long max_redirects = 0;
  std::string ca_file;  // HTTPS: the CAs to trust; empty: the system's
  // HTTPS: a client certificate and its key (PEM files), for peers that ask for one.
  std::string client_certificate;
  std::string client_key;
};

struct FetchAnswer {
  int status = 0;
  std::string reason;  // the status line's words, at most 80 bytes
  std::string content_type;
  std::string body;
  bool truncated = false;  // the body went on past max_body_bytes
};

// What failed, naming the peer: "connect 10.0.0.7:8001: Connection refused",
// "10.0.0.7:8001 sent more than 65536 bytes of headers", "... timed out after 2000 ms".
class FetchError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

FetchAnswer fetch(const FetchRequest& request);

// "http://HOST:PORT" with an IPv6 host in brackets.
std::string origin(const std::string& scheme, const std::string& host, unsigned port);

}  // namespace hub::net
