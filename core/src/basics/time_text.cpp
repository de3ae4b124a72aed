#include "time_text.hpp"

#include <ctime>

namespace hub {

namespace {

std::string format_utc(int64_t unix_us, const char* date_time_format, const char* suffix) {
  const int64_t seconds = unix_us >= 0 ? unix_us / 1'000'000 : (unix_us - 999'999) / 1'000'000;
  const int millis = static_cast<int>((unix_us - seconds * 1'000'000) / 1000);
  const std::time_t time = static_cast<std::time_t>(seconds);
  std::tm utc{};
  gmtime_r(&time, &utc);
  char text[48];
  const size_t length = std::strftime(text, sizeof text, date_time_format, &utc);
  char fraction[16];
  std::snprintf(fraction, sizeof fraction, ".%03d%s", millis, suffix);
  return std::string(text, length) + fraction;
}

}  // namespace

std::string rfc3339_utc(int64_t unix_us) {
  return format_utc(unix_us, "%Y-%m-%dT%H:%M:%S", "Z");
}

std::string sql_timestamp_utc(int64_t unix_us) {
  return format_utc(unix_us, "%Y-%m-%d %H:%M:%S", "");
}

std::optional<int64_t> parse_utc_or_unix_seconds(const std::string& text) {
  if (!text.empty() && text.find_first_not_of("0123456789") == std::string::npos && text.size() <= 12) return std::stoll(text) * 1'000'000;
  std::tm parts{};
  const char* end = strptime(text.c_str(), "%Y-%m-%dT%H:%M:%S", &parts);
  if (!end || (std::string(end) != "Z" && std::string(end) != "")) return std::nullopt;
  return int64_t{timegm(&parts)} * 1'000'000;
}

}  // namespace hub
