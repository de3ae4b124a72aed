// Log lines cannot be forged: a value with a newline or an escape sequence stays
// inside its own line, in the readable format and in JSON.
#include "basics/logging.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace hub {
namespace {

std::string formatted(LoggingSettings::Format format, const std::string& payload) {
  spdlog::details::log_msg message("hub", spdlog::level::info, spdlog::string_view_t(payload.data(), payload.size()));
  spdlog::memory_buf_t out;
  make_log_formatter(format)->format(message, out);
  return std::string(out.data(), out.size());
}

const std::string kForged = "config: update by ops\n2026-11-23 10:00:00.000 error [hub] storage wiped\x1b[2K\xff";

TEST(Logging, ATextLineCannotBeSplitOrColouredByAValue) {
  const std::string line = formatted(LoggingSettings::Format::text, kForged);
  EXPECT_EQ(line.find('\n'), line.size() - 1) << line;
  EXPECT_NE(line.find("ops\\x0a2026-11-23 10:00:00.000 error [hub] storage wiped\\x1b[2K\ufffd"), std::string::npos) << line;
  EXPECT_NE(line.find("[hub] config: update by"), std::string::npos) << line;
}

TEST(Logging, AJsonLineIsOneValidObjectWhateverTheValue) {
  const std::string line = formatted(LoggingSettings::Format::json, kForged);
  EXPECT_EQ(line.find('\n'), line.size() - 1) << line;
  const nlohmann::json parsed = nlohmann::json::parse(line);
  EXPECT_EQ(parsed["level"], "info");
  EXPECT_NE(parsed["message"].get<std::string>().find("ops\\x0a2026"), std::string::npos);
}

}  // namespace
}  // namespace hub
