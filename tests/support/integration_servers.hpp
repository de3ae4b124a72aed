// The real servers tools/dev test starts for integration tests, read from the
// environment it exports. Without them a test skips, or fails when
// HUB_REQUIRE_INTEGRATION is set (as in CI), so a missing server never passes silently.
#pragma once

#include <hub/manifest.hpp>

#include <gtest/gtest.h>

#include <cstdlib>
#include <optional>
#include <string>
#include <utility>

namespace hub::testing {

inline std::string environment_or(const char* name, const char* fallback) {
  const char* value = std::getenv(name);
  return value && *value ? value : fallback;
}

// HUB_TEST_PG_HOST, _PORT, _USER, _DB.
inline std::optional<PostgresSettings> test_postgres() {
  if (!std::getenv("HUB_TEST_PG_HOST")) return std::nullopt;
  PostgresSettings settings;
  settings.host = environment_or("HUB_TEST_PG_HOST", "127.0.0.1");
  settings.port = static_cast<uint16_t>(std::stoi(environment_or("HUB_TEST_PG_PORT", "5432")));
  settings.user = environment_or("HUB_TEST_PG_USER", "postgres");
  settings.dbname = environment_or("HUB_TEST_PG_DB", "postgres");
  return settings;
}

// HUB_TEST_NATS_URL.
inline std::optional<std::string> test_nats_url() {
  if (!std::getenv("HUB_TEST_NATS_URL")) return std::nullopt;
  return environment_or("HUB_TEST_NATS_URL", "");
}

// HUB_TEST_REDIS_ADDRESS: "HOST:PORT".
inline std::optional<std::pair<std::string, uint16_t>> test_redis() {
  const std::string address = environment_or("HUB_TEST_REDIS_ADDRESS", "");
  const size_t colon = address.rfind(':');
  if (colon == std::string::npos) return std::nullopt;
  return std::make_pair(address.substr(0, colon), static_cast<uint16_t>(std::stoi(address.substr(colon + 1))));
}

}  // namespace hub::testing

// In SetUp(): skip the test, or fail it when integration tests are required.
#define HUB_NEED_SERVER(available, variable, what)                                                                    \
  if (!(available)) {                                                                                                 \
    if (std::getenv("HUB_REQUIRE_INTEGRATION")) FAIL() << variable " is not set, but integration tests are required"; \
    GTEST_SKIP() << "no " what ": set " variable " (tools/dev test does)";                                            \
  }
