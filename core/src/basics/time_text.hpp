// Instants as text: RFC 3339 for the API, SQL's "YYYY-MM-DD HH:MM:SS.fff"
// (UTC, what SQLite's CURRENT_TIMESTAMP compares with) for storage.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace hub {

std::string rfc3339_utc(int64_t unix_us);  // 2026-11-22T10:30:00.123Z
std::string sql_timestamp_utc(int64_t unix_us);
// A query's instant: "2026-11-30T10:00:00Z" (no fractions or offsets: the API speaks UTC) or Unix
// seconds. Empty when it is neither.
std::optional<int64_t> parse_utc_or_unix_seconds(const std::string& text);

}  // namespace hub
