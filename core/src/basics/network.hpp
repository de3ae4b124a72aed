// IP networks in CIDR notation, IPv4 and IPv6, and the addresses they contain. An IPv4 address
// mapped into IPv6 (::ffff:127.0.0.1) is the IPv4 address, so it cannot slip past an IPv4 rule.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>

namespace hub {

struct IpAddress {
  bool v6 = false;
  std::array<unsigned char, 16> bytes{};  // IPv4: the first 4
  // Every form the system's resolver takes for an address, so none passes as a name: "10.0.0.1",
  // "::1", and inet_aton's "127.1", "0x7f.0.0.1", "2130706433". Brackets around IPv6 are allowed.
  static std::optional<IpAddress> parse(std::string_view text);
  std::string to_string() const;
};

struct Network {
  IpAddress base;
  int prefix = 0;
  std::string text;  // as written
  // "10.0.0.0/8", "fe80::/10", or one address (a /32 or /128). nullopt with `problem` set.
  static std::optional<Network> parse(std::string_view text, std::string& problem);
  bool contains(const IpAddress& address) const;
};

}  // namespace hub
