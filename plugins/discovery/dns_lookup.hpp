// The DNS source's lookups: A records (each address) or SRV records of the
// best priority, through the hub's c-ares resolver and within one timeout.
#pragma once

#include "dns_resolver.hpp"

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

using net::Nameserver;

// Throw net::DnsError (a std::runtime_error) saying why the name did not resolve.
std::vector<DnsTarget> lookup_a(const std::string& name, const std::optional<Nameserver>& nameserver, std::chrono::seconds timeout);
// The records of the best (lowest) priority only: the others are fallbacks.
std::vector<DnsTarget> lookup_srv(const std::string& name, const std::optional<Nameserver>& nameserver, std::chrono::seconds timeout);

}  // namespace hub::discovery
