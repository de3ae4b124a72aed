#include "dns_lookup.hpp"

#include <netinet/in.h>

#include <algorithm>

namespace hub::discovery {

std::vector<DnsTarget> lookup_a(const std::string& name, const std::optional<Nameserver>& nameserver, std::chrono::seconds timeout) {
  std::vector<DnsTarget> targets;
  for (std::string& address : net::resolve_addresses(name, AF_INET, nameserver, std::chrono::steady_clock::now() + timeout))
    targets.push_back({std::move(address)});
  return targets;
}

std::vector<DnsTarget> lookup_srv(const std::string& name, const std::optional<Nameserver>& nameserver, std::chrono::seconds timeout) {
  std::vector<DnsTarget> targets;
  for (net::SrvRecord& record : net::query_srv(name, nameserver, std::chrono::steady_clock::now() + timeout))
    targets.push_back({std::move(record.target), record.port, record.priority, record.weight});
  if (targets.empty()) return targets;
  const uint16_t best =
      std::min_element(targets.begin(), targets.end(), [](auto& a, auto& b) { return a.priority < b.priority; })->priority;
  std::erase_if(targets, [best](const DnsTarget& target) { return target.priority != best; });
  return targets;
}

}  // namespace hub::discovery
