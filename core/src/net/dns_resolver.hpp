// Name resolution through c-ares, held to a deadline: a lookup never outlives
// the time its caller has, and a kept library parses the answers. Used by the
// DNS discovery source and by the probes' sockets.
//
//   auto addresses = hub::net::resolve_addresses("db-1.internal", AF_UNSPEC, std::nullopt, deadline);
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace hub::net {

struct Nameserver {
  std::string address;  // IPv4
  uint16_t port = 53;
  static Nameserver parse(const std::string& text);  // "IP" or "IP:PORT"; throws std::invalid_argument
};

// "A lookup of x.internal failed: Domain name not found", "... timed out after 2000 ms".
class DnsError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

using Deadline = std::chrono::steady_clock::time_point;

// The addresses of `host` as text, each once, in the resolver's order; `family` is AF_INET or
// AF_UNSPEC. A numeric host is its own answer. Without a nameserver /etc/hosts is read first,
// then /etc/resolv.conf's servers are asked; with one, it alone is asked. Throws DnsError.
std::vector<std::string> resolve_addresses(const std::string& host, int family, const std::optional<Nameserver>& nameserver,
                                           Deadline deadline);

struct SrvRecord {
  std::string target;
  uint16_t port = 0;
  uint16_t priority = 0;
  uint16_t weight = 0;
};
// Every SRV record of `name`. Throws DnsError.
std::vector<SrvRecord> query_srv(const std::string& name, const std::optional<Nameserver>& nameserver, Deadline deadline);

}  // namespace hub::net
