// What may follow "GET " in a request line the hub sends: an origin-form
// target (RFC 9112 3.2.1), a path and an optional query made of RFC 3986's
// characters only. A registrant's health_endpoint must be one, so it can
// never add a header, a second request or another host to a probe.
#pragma once

#include <string_view>

namespace hub::net {

inline bool is_origin_form(std::string_view target) {
  if (target.empty() || target.front() != '/') return false;
  static constexpr std::string_view kAllowed = "-._~!$&'()*+,;=:@/?%";
  for (size_t i = 0; i < target.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(target[i]);
    const bool alphanumeric = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (!alphanumeric && kAllowed.find(static_cast<char>(c)) == std::string_view::npos) return false;
    if (c == '%') {  // %XX only
      const auto hex = [&](size_t at) {
        if (at >= target.size()) return false;
        const unsigned char h = static_cast<unsigned char>(target[at]);
        return (h >= '0' && h <= '9') || (h >= 'a' && h <= 'f') || (h >= 'A' && h <= 'F');
      };
      if (!hex(i + 1) || !hex(i + 2)) return false;
      i += 2;
    }
  }
  return target.find('#') == std::string_view::npos;
}

}  // namespace hub::net
