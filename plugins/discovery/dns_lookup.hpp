// A and SRV lookups. With a nameserver given, queries go to it alone (tests,
// split-horizon DNS); without one, A records come from getaddrinfo (so
// /etc/hosts applies) and SRV records from the resolvers of /etc/resolv.conf.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace hub::discovery {

struct DnsTarget {
  std::string host;   // an address for A records, the target name for SRV
  uint16_t port = 0;  // SRV only
  uint16_t priority = 0;
  uint16_t weight = 0;
};

struct Nameserver {
  std::string address;  // IPv4
  uint16_t port = 53;
  static Nameserver parse(const std::string& text);  // "IP" or "IP:PORT"; throws std::invalid_argument
};

// Throws std::runtime_error saying why the name did not resolve.
std::vector<DnsTarget> lookup_a(const std::string& name, const std::optional<Nameserver>& nameserver, std::chrono::seconds timeout);
// The records of the best (lowest) priority only: the others are fallbacks.
std::vector<DnsTarget> lookup_srv(const std::string& name, const std::optional<Nameserver>& nameserver, std::chrono::seconds timeout);

}  // namespace hub::discovery
