// Against a real PostgreSQL server: .ci/run starts one on a loopback port of
// its own and exports HUB_TEST_PG_HOST, HUB_TEST_PG_PORT, HUB_TEST_PG_USER, HUB_TEST_PG_DB.
#include <hub/errors.hpp>
#include <hub/testing.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <optional>

namespace {

std::optional<hub::PostgresSettings> test_server() {
  const char* host = std::getenv("HUB_TEST_PG_HOST");
  if (!host) return std::nullopt;
  hub::PostgresSettings settings;
  settings.host = host;
  settings.port = static_cast<uint16_t>(std::atoi(std::getenv("HUB_TEST_PG_PORT") ? std::getenv("HUB_TEST_PG_PORT") : "5432"));
  settings.user = std::getenv("HUB_TEST_PG_USER") ? std::getenv("HUB_TEST_PG_USER") : "postgres";
  settings.dbname = std::getenv("HUB_TEST_PG_DB") ? std::getenv("HUB_TEST_PG_DB") : "postgres";
  return settings;
}

class PostgresStorage : public testing::Test {
 protected:
  void SetUp() override {
    server_ = test_server();
    if (server_) return;
    if (std::getenv("HUB_REQUIRE_INTEGRATION")) FAIL() << "HUB_TEST_PG_HOST is not set, but integration tests are required";
    GTEST_SKIP() << "no PostgreSQL server: set HUB_TEST_PG_HOST (tools/dev test does)";
  }
  std::optional<hub::PostgresSettings> server_;
};

}  // namespace

TEST_F(PostgresStorage, AHubOnPostgresReportsItHealthy) {
  hub::HubOptions options = hub::testing::test_options();
  options.deployment.storage.backend = hub::StorageSettings::Backend::postgres;
  options.deployment.storage.postgres = *server_;
  hub::testing::TestHub hub(std::move(options));
  hub::HttpReply reply = hub.get("/health");
  EXPECT_EQ(reply.status, 200);
  EXPECT_THAT(reply.body, testing::HasSubstr(R"("storage":{"name":"postgres","status":"healthy")"));
}

TEST_F(PostgresStorage, AnUnreachableServerStopsTheStartWithTheReason) {
  hub::HubOptions options = hub::testing::test_options();
  options.deployment.storage.backend = hub::StorageSettings::Backend::postgres;
  options.deployment.storage.postgres = *server_;
  options.deployment.storage.postgres.dbname = "no_such_database";
  hub::Hub hub(std::move(options));
  EXPECT_THAT([&] { hub.start(); }, testing::ThrowsMessage<hub::StorageError>(
                                        testing::AllOf(testing::HasSubstr("cannot connect"), testing::HasSubstr("no_such_database"))));
  EXPECT_FALSE(hub.running());
}
