#include "network.hpp"

#include <arpa/inet.h>

#include <cstring>

namespace hub {

namespace {

IpAddress from_v4(const in_addr& address) {
  IpAddress out;
  std::memcpy(out.bytes.data(), &address.s_addr, 4);
  return out;
}

}  // namespace

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
  if (text.size() >= 2 && text.front() == '[' && text.back() == ']') text = text.substr(1, text.size() - 2);
  if (text.empty() || text.size() > 64) return std::nullopt;
  const std::string copy(text);
  in6_addr v6{};
  if (inet_pton(AF_INET6, copy.c_str(), &v6) == 1) {
    static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    IpAddress out;
    if (std::memcmp(v6.s6_addr, mapped, 12) == 0) {
      std::memcpy(out.bytes.data(), v6.s6_addr + 12, 4);
      return out;
    }
    out.v6 = true;
    std::memcpy(out.bytes.data(), v6.s6_addr, 16);
    return out;
  }
  in_addr v4{};
  if (inet_aton(copy.c_str(), &v4) == 1) return from_v4(v4);
  return std::nullopt;
}

std::string IpAddress::to_string() const {
  char text[INET6_ADDRSTRLEN] = {};
  inet_ntop(v6 ? AF_INET6 : AF_INET, bytes.data(), text, sizeof text);
  return text;
}

std::optional<Network> Network::parse(std::string_view text, std::string& problem) {
  const size_t slash = text.find('/');
  const std::string_view address_text = text.substr(0, slash);
  std::optional<IpAddress> base;
  if (address_text.find(':') != std::string_view::npos || address_text.find_first_not_of("0123456789.") == std::string_view::npos)
    base = IpAddress::parse(address_text);  // not inet_aton's loose forms: a rule is written plainly
  if (!base) {
    problem = "\"" + std::string(text.substr(0, 80)) + "\" is not a network: write ADDRESS/PREFIX, such as 10.0.0.0/8 or fe80::/10";
    return std::nullopt;
  }
  Network network{*base, base->v6 ? 128 : 32, std::string(text)};
  if (slash != std::string_view::npos) {
    const std::string_view digits = text.substr(slash + 1);
    int prefix = 0;
    if (digits.empty() || digits.size() > 3 || digits.find_first_not_of("0123456789") != std::string_view::npos ||
        (prefix = std::stoi(std::string(digits))) > network.prefix) {
      problem = "\"" + std::string(text.substr(0, 80)) + "\": the prefix must be 0 to " + std::to_string(network.prefix);
      return std::nullopt;
    }
    network.prefix = prefix;
  }
  return network;
}

bool Network::contains(const IpAddress& address) const {
  if (address.v6 != base.v6) return false;
  int bits = prefix;
  for (size_t i = 0; bits > 0; ++i, bits -= 8) {
    const unsigned char mask = bits >= 8 ? 0xff : static_cast<unsigned char>(0xff << (8 - bits));
    if ((address.bytes[i] & mask) != (base.bytes[i] & mask)) return false;
  }
  return true;
}

}  // namespace hub
