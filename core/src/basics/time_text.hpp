// Instants as text: RFC 3339 for the API, SQL's "YYYY-MM-DD HH:MM:SS.fff"
// (UTC, what SQLite's CURRENT_TIMESTAMP compares with) for storage.
#pragma once

#include <cstdint>
#include <string>

namespace hub {

std::string rfc3339_utc(int64_t unix_us);  // 2026-11-22T10:30:00.123Z
std::string sql_timestamp_utc(int64_t unix_us);

}  // namespace hub
