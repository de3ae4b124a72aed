// The C++ StructuredLogger writes the Python package's lines: the same fields and names, the
// thread's correlation id, the call's fields over the logger's, an ErrorDNA pattern as "error".
#include <hub/structured_logger.hpp>

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

namespace {

using nlohmann::json;

std::vector<json> read_lines(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::vector<json> lines;
  for (std::string text; std::getline(in, text);) lines.push_back(json::parse(text));
  return lines;
}

TEST(StructuredLogger, WritesThePythonPackagesLines) {
  const auto file = std::filesystem::temp_directory_path() / ("structured-" + std::to_string(::getpid()) + ".log");
  std::filesystem::remove(file);
  {
    hub::StructuredLogger log("api-gateway", {.level = "info", .file = file.string(), .fields = {{"version", "3.1.0"}}});
    log.debug("not written at info");
    log.info("WebSocket connection established", {{"user_id", "user123"}, {"latency_ms", 15}, {"service", "not this"}});
    {
      hub::CorrelationScope request("corr-1");
      log.warn("slow", {{"version", "3.1.1"}});
      std::thread other([&] { log.info("another thread"); });  // its own correlation: none
      other.join();
    }
    const hub::ErrorPattern pattern = hub::ErrorDNA().analyze("KeyError", "'order-7'");
    log.error("lookup failed", pattern);
    log.info("bad \xff byte");  // invalid UTF-8 is replaced, not thrown
  }
  const auto lines = read_lines(file);
  std::filesystem::remove(file);
  ASSERT_EQ(lines.size(), 5u);
  EXPECT_EQ(lines[0]["service"], "api-gateway");
  EXPECT_EQ(lines[0]["level"], "info");
  EXPECT_EQ(lines[0]["logger"], "central_hub.service.api-gateway");
  EXPECT_EQ(lines[0]["message"], "WebSocket connection established");
  EXPECT_EQ(lines[0]["user_id"], "user123");
  EXPECT_EQ(lines[0]["latency_ms"], 15);
  EXPECT_EQ(lines[0]["version"], "3.1.0");
  EXPECT_EQ(lines[0]["correlation_id"], "");
  EXPECT_EQ(lines[0]["time"].get<std::string>().back(), 'Z');
  EXPECT_EQ(lines[1]["level"], "warning");
  EXPECT_EQ(lines[1]["correlation_id"], "corr-1");
  EXPECT_EQ(lines[1]["version"], "3.1.1");
  EXPECT_EQ(lines[2]["correlation_id"], "");
  EXPECT_EQ(lines[3]["error"]["fingerprint"], hub::ErrorDNA().analyze("KeyError", "'order-9'").fingerprint);
  EXPECT_EQ(lines[4]["message"], "bad \xEF\xBF\xBD byte");
  EXPECT_EQ(hub::CorrelationScope::current(), "");
}

}  // namespace
