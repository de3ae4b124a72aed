#include "dns_lookup.hpp"

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <netdb.h>
#include <netinet/in.h>
#include <resolv.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <stdexcept>

namespace hub::discovery {

namespace {

// A private resolver state, so a nameserver override stays local to one query.
struct Resolver {
  struct __res_state state;
  Resolver() {
    std::memset(&state, 0, sizeof state);
    if (res_ninit(&state) != 0) throw std::runtime_error("cannot initialize the DNS resolver");
  }
  ~Resolver() { res_nclose(&state); }
};

std::vector<DnsTarget> query(const std::string& name, int type, const std::optional<Nameserver>& nameserver, std::chrono::seconds timeout) {
  auto holder = std::make_unique<Resolver>();
  struct __res_state& resolver = holder->state;
  if (nameserver) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(nameserver->port);
    inet_pton(AF_INET, nameserver->address.c_str(), &address.sin_addr);
    resolver.nsaddr_list[0] = address;
    resolver.nscount = 1;
  }
  resolver.retrans = static_cast<int>(std::max<int64_t>(1, timeout.count()));
  resolver.retry = 1;
  unsigned char answer[8192];
  const int length = res_nquery(&resolver, name.c_str(), ns_c_in, type, answer, sizeof answer);
  if (length < 0)
    throw std::runtime_error(std::string(type == ns_t_srv ? "SRV" : "A") + " lookup of " + name +
                             " failed: " + hstrerror(resolver.res_h_errno));
  ns_msg message;
  if (ns_initparse(answer, length, &message) != 0) throw std::runtime_error("malformed DNS answer for " + name);
  std::vector<DnsTarget> targets;
  for (int i = 0; i < ns_msg_count(message, ns_s_an); ++i) {
    ns_rr record;
    if (ns_parserr(&message, ns_s_an, i, &record) != 0) continue;
    const unsigned char* data = ns_rr_rdata(record);
    if (ns_rr_type(record) == ns_t_a && type == ns_t_a && ns_rr_rdlen(record) == 4) {
      char text[INET_ADDRSTRLEN];
      inet_ntop(AF_INET, data, text, sizeof text);
      targets.push_back({text});
    } else if (ns_rr_type(record) == ns_t_srv && type == ns_t_srv && ns_rr_rdlen(record) > 6) {
      char target[NS_MAXDNAME];
      if (dn_expand(ns_msg_base(message), ns_msg_end(message), data + 6, target, sizeof target) < 0) continue;
      auto u16 = [](const unsigned char* at) { return static_cast<uint16_t>(ns_get16(at)); };
      targets.push_back({target, u16(data + 4), u16(data), u16(data + 2)});  // priority, weight, port, target
    }
  }
  return targets;
}

}  // namespace

Nameserver Nameserver::parse(const std::string& text) {
  Nameserver server;
  const size_t colon = text.find(':');
  server.address = text.substr(0, colon);
  in_addr probe{};
  if (inet_pton(AF_INET, server.address.c_str(), &probe) != 1)
    throw std::invalid_argument("'" + text + "' is not an IPv4 nameserver address (IP or IP:PORT)");
  if (colon != std::string::npos) {
    const std::string port = text.substr(colon + 1);
    char* end = nullptr;
    const long value = std::strtol(port.c_str(), &end, 10);
    if (port.empty() || *end || value < 1 || value > 65535) throw std::invalid_argument("'" + text + "' has no valid port after ':'");
    server.port = static_cast<uint16_t>(value);
  }
  return server;
}

std::vector<DnsTarget> lookup_a(const std::string& name, const std::optional<Nameserver>& nameserver, std::chrono::seconds timeout) {
  if (nameserver) return query(name, ns_t_a, nameserver, timeout);
  addrinfo hints{};
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (const int failed = getaddrinfo(name.c_str(), nullptr, &hints, &found))
    throw std::runtime_error("A lookup of " + name + " failed: " + gai_strerror(failed));
  std::vector<DnsTarget> targets;
  for (addrinfo* entry = found; entry; entry = entry->ai_next) {
    char text[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(entry->ai_addr)->sin_addr, text, sizeof text);
    if (std::none_of(targets.begin(), targets.end(), [&](const DnsTarget& t) { return t.host == text; })) targets.push_back({text});
  }
  freeaddrinfo(found);
  return targets;
}

std::vector<DnsTarget> lookup_srv(const std::string& name, const std::optional<Nameserver>& nameserver, std::chrono::seconds timeout) {
  std::vector<DnsTarget> targets = query(name, ns_t_srv, nameserver, timeout);
  if (targets.empty()) return targets;
  const uint16_t best =
      std::min_element(targets.begin(), targets.end(), [](auto& a, auto& b) { return a.priority < b.priority; })->priority;
  std::erase_if(targets, [best](const DnsTarget& target) { return target.priority != best; });
  return targets;
}

}  // namespace hub::discovery
