// Text from outside the hub (a probed target's answer, a plugin's message, a
// registrant's field) made safe to store, serve as JSON and write to a log:
// valid UTF-8 (each invalid byte becomes U+FFFD), control characters shown
// as \xNN, and at most `max_bytes` long (cut at a character, marked with "…").
//
//   std::string message = hub::printable_text(result.message);  // "GET /: 503 \ufffd\ufffd bad"
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace hub {

inline constexpr size_t kMaxOutsideTextBytes = 1024;

std::string printable_text(std::string_view bytes, size_t max_bytes = kMaxOutsideTextBytes);

// True when `bytes` is valid UTF-8 without control characters (C0, DEL, C1) — what
// printable_text would leave as it is, length aside.
bool is_printable_text(std::string_view bytes);

}  // namespace hub
