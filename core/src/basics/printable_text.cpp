#include "printable_text.hpp"

#include <cstdint>
#include <cstdio>

namespace hub {

namespace {

constexpr std::string_view kReplacement = "\xef\xbf\xbd";  // U+FFFD
constexpr std::string_view kEllipsis = "\xe2\x80\xa6";     // U+2026

// The length of the valid UTF-8 sequence at bytes[at] and its code point, or 0 when it is not one.
size_t sequence_at(std::string_view bytes, size_t at, uint32_t& code_point) {
  const auto byte = [&](size_t i) { return static_cast<unsigned char>(bytes[at + i]); };
  const unsigned char lead = byte(0);
  size_t length;
  uint32_t minimum;
  if (lead < 0x80) {
    code_point = lead;
    return 1;
  } else if ((lead & 0xe0) == 0xc0) {
    length = 2, minimum = 0x80, code_point = lead & 0x1f;
  } else if ((lead & 0xf0) == 0xe0) {
    length = 3, minimum = 0x800, code_point = lead & 0x0f;
  } else if ((lead & 0xf8) == 0xf0) {
    length = 4, minimum = 0x10000, code_point = lead & 0x07;
  } else {
    return 0;
  }
  if (at + length > bytes.size()) return 0;
  for (size_t i = 1; i < length; ++i) {
    if ((byte(i) & 0xc0) != 0x80) return 0;
    code_point = (code_point << 6) | (byte(i) & 0x3f);
  }
  // Overlong forms, UTF-16 surrogates and values past Unicode are not UTF-8.
  if (code_point < minimum || (code_point >= 0xd800 && code_point <= 0xdfff) || code_point > 0x10ffff) return 0;
  return length;
}

bool is_control(uint32_t code_point) {
  return code_point < 0x20 || code_point == 0x7f || (code_point >= 0x80 && code_point <= 0x9f);
}

}  // namespace

std::string printable_text(std::string_view bytes, size_t max_bytes) {
  std::string out;
  out.reserve(std::min(bytes.size(), max_bytes));
  size_t cut = 0;  // out's length at the last character that still leaves room for the ellipsis
  for (size_t at = 0; at < bytes.size();) {
    uint32_t code_point = 0;
    const size_t length = sequence_at(bytes, at, code_point);
    std::string_view piece = length ? bytes.substr(at, length) : kReplacement;
    char escaped[8];
    if (length && is_control(code_point)) {
      std::snprintf(escaped, sizeof escaped, "\\x%02x", static_cast<unsigned>(code_point));
      piece = escaped;
    }
    if (out.size() + piece.size() > max_bytes) {
      out.resize(cut);
      return out += kEllipsis;
    }
    out += piece;
    if (out.size() + kEllipsis.size() <= max_bytes) cut = out.size();
    at += length ? length : 1;
  }
  return out;
}

bool is_printable_text(std::string_view bytes) {
  for (size_t at = 0; at < bytes.size();) {
    uint32_t code_point = 0;
    const size_t length = sequence_at(bytes, at, code_point);
    if (length == 0 || is_control(code_point)) return false;
    at += length;
  }
  return true;
}

}  // namespace hub
