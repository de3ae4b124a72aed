// Against a real PostgreSQL server: .ci/run starts one on a loopback port of
// its own and exports HUB_TEST_PG_HOST, HUB_TEST_PG_PORT, HUB_TEST_PG_USER, HUB_TEST_PG_DB.
#include <hub/errors.hpp>
#include <hub/testing.hpp>

#include "support/integration_servers.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <optional>

namespace {

class PostgresStorage : public testing::Test {
 protected:
  void SetUp() override {
    server_ = hub::testing::test_postgres();
    HUB_NEED_SERVER(server_, "HUB_TEST_PG_HOST", "PostgreSQL server");
  }
  std::optional<hub::PostgresSettings> server_;
};

}  // namespace

TEST_F(PostgresStorage, AHubOnPostgresReportsItHealthy) {
  hub::HubOptions options = hub::testing::test_options();
  options.manifest.storage.backend = hub::StorageSettings::Backend::postgres;
  options.manifest.storage.postgres = *server_;
  hub::testing::TestHub hub(std::move(options));
  hub::HttpReply reply = hub.get("/health");
  EXPECT_EQ(reply.status, 200);
  EXPECT_THAT(reply.body, testing::HasSubstr(R"("storage":{"name":"postgres","status":"healthy")"));
}

TEST_F(PostgresStorage, AnUnreachableServerStopsTheStartWithTheReason) {
  hub::HubOptions options = hub::testing::test_options();
  options.manifest.storage.backend = hub::StorageSettings::Backend::postgres;
  options.manifest.storage.postgres = *server_;
  options.manifest.storage.postgres.dbname = "no_such_database";
  hub::Hub hub(std::move(options));
  EXPECT_THAT([&] { hub.start(); }, testing::ThrowsMessage<hub::StorageError>(
                                        testing::AllOf(testing::HasSubstr("cannot connect"), testing::HasSubstr("no_such_database"))));
  EXPECT_FALSE(hub.running());
}
