// Migrations on SQLite (a scratch file) and PostgreSQL (a database of the
// test's own on the server tools/dev test starts).
#include "storage/storage.hpp"

#include <hub/errors.hpp>
#include <hub/testing.hpp>

#include "support/integration_servers.hpp"
#include "support/scratch_database.hpp"
#include "support/sqlite_rows.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <pqxx/pqxx>

#include <filesystem>

using testing::HasSubstr;

namespace {

const std::vector<hub::Migration> kTwoThenBroken{
    {1, "0001_first", "CREATE TABLE first_table (id INTEGER)"},
    {2, "0002_broken", "CREATE TABLE second_table (id INTEGER); INSERT INTO no_such_table VALUES (1)"},
};

class SqliteMigrations : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("hub-migrations-" + std::to_string(::getpid()) + "-" + testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    file_ = dir_ / "hub.db";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::vector<std::string> column(const std::string& sql) { return hub::testing::sqlite_column(file_, sql); }

  std::filesystem::path dir_, file_;
};

}  // namespace

TEST_F(SqliteMigrations, TheSeedTablesAreCreatedOnceAndRecorded) {
  auto storage = hub::open_sqlite_storage(file_);
  EXPECT_EQ(storage->migrate(hub::migrations_for("sqlite")), 8);
  EXPECT_EQ(storage->migrate(hub::migrations_for("sqlite")), 0);
  storage.reset();
  EXPECT_THAT(column("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"),
              testing::ElementsAre("config_changes", "health_metrics", "hub_audit", "hub_backup_runs", "hub_circuits", "hub_error_groups",
                                   "hub_error_rates", "hub_operation_timings", "hub_rollouts", "hub_schema_migrations", "hub_tokens",
                                   "infrastructure_status", "service_configs", "service_registry"));
  EXPECT_THAT(column("SELECT version || ' ' || name FROM hub_schema_migrations"),
              testing::ElementsAre("1 0001_seed_tables", "2 0002_registry_columns", "3 0003_config_changes", "4 0004_health_indexes",
                                   "5 0005_tokens_and_audit", "6 0006_circuits", "7 0007_rollouts_and_backups",
                                   "8 0008_error_groups_and_performance"));
}

TEST_F(SqliteMigrations, AFailingMigrationLeavesNothingOfItself) {
  auto storage = hub::open_sqlite_storage(file_);
  EXPECT_THAT([&] { storage->migrate(kTwoThenBroken); },
              testing::ThrowsMessage<hub::StorageError>(HasSubstr("migration 0002_broken failed, nothing of it was applied: ")));
  storage.reset();
  EXPECT_THAT(column("SELECT name FROM sqlite_master WHERE name LIKE '%_table'"), testing::ElementsAre("first_table"));
  EXPECT_THAT(column("SELECT name FROM hub_schema_migrations"), testing::ElementsAre("0001_first"));
}

TEST_F(SqliteMigrations, AHubRefusesADatabaseFromANewerSchema) {
  hub::open_sqlite_storage(file_)->migrate(hub::migrations_for("sqlite"));
  column("INSERT INTO hub_schema_migrations (version, name) VALUES (9999, '9999_from_the_future') RETURNING version");
  hub::HubOptions options = hub::testing::test_options();
  options.manifest.storage.backend = hub::StorageSettings::Backend::sqlite;
  options.manifest.storage.sqlite_path = file_;
  hub::Hub hub(std::move(options));
  EXPECT_THAT([&] { hub.start(); },
              testing::ThrowsMessage<hub::StorageError>(HasSubstr("hub.db: the database's schema is at migration 9999_from_the_future, "
                                                                  "newer than this hub knows (0008_error_groups_and_performance); "
                                                                  "run the hub release that wrote it, or a newer one")));
  EXPECT_FALSE(hub.running());
}

namespace {

// A database of the test's own, dropped afterwards.
class PostgresMigrations : public testing::Test {
 protected:
  void SetUp() override {
    const auto server = hub::testing::test_postgres();
    HUB_NEED_SERVER(server, "HUB_TEST_PG_HOST", "PostgreSQL server");
    database_ = std::make_unique<hub::testing::ScratchDatabase>(*server, "hub_migrations");
    settings_ = database_->settings();
  }
  pqxx::result query(const std::string& sql) { return database_->query(sql); }

  std::unique_ptr<hub::testing::ScratchDatabase> database_;
  hub::PostgresSettings settings_;
};

}  // namespace

TEST_F(PostgresMigrations, AHubOnAFreshDatabaseCreatesTheSeedTablesOnce) {
  for (int start = 0; start < 2; ++start) {
    hub::HubOptions options = hub::testing::test_options();
    options.manifest.storage.backend = hub::StorageSettings::Backend::postgres;
    options.manifest.storage.postgres = settings_;
    hub::testing::TestHub hub(std::move(options));
  }
  pqxx::result applied = query("SELECT version, name FROM hub_schema_migrations ORDER BY version");
  ASSERT_EQ(applied.size(), 10u);
  EXPECT_EQ(applied[0][1].as<std::string>(), "0001_seed_tables");
  EXPECT_EQ(applied[1][1].as<std::string>(), "0002_registry_columns");
  EXPECT_EQ(applied[2][1].as<std::string>(), "0003_config_changes");
  EXPECT_EQ(applied[3][1].as<std::string>(), "0004_health_indexes");
  EXPECT_EQ(applied[4][1].as<std::string>(), "0005_tokens_and_audit");
  EXPECT_EQ(applied[5][1].as<std::string>(), "0006_circuits");
  EXPECT_EQ(applied[6][1].as<std::string>(), "0007_rollouts_and_backups");
  EXPECT_EQ(applied[7][1].as<std::string>(), "0008_error_groups_and_performance");
  EXPECT_EQ(applied[8][1].as<std::string>(), "0009_change_feed");
  EXPECT_EQ(applied[9][1].as<std::string>(), "0010_hub_members");
}

TEST_F(PostgresMigrations, TheSeedsExample7QueriesRunAsWritten) {
  hub::open_postgres_storage(settings_)->migrate(hub::migrations_for("postgres"));
  query(
      "INSERT INTO service_registry (service_name, status, last_heartbeat, version, host, port, dependencies, metadata) VALUES "
      "('data-bridge', 'healthy', CURRENT_TIMESTAMP - INTERVAL '5 seconds', '1.2.3', 'data-bridge', 8001, '[\"nats\"]', '{}')");
  query("INSERT INTO infrastructure_status (component_name, status, response_time_ms) VALUES ('postgresql', 'healthy', 1.5)");
  query(
      "INSERT INTO health_metrics (service_name, metric_type, metric_value, status) VALUES ('data-bridge', 'latency', 8, 'healthy'), "
      "('data-bridge', 'latency', 9, 'healthy'), ('data-bridge', 'latency', 7, 'healthy'), ('data-bridge', 'latency', 90, 'degraded')");

  pqxx::result registry = query(R"(
    SELECT service_name, status, last_heartbeat,
           EXTRACT(EPOCH FROM (CURRENT_TIMESTAMP - last_heartbeat)) as seconds_since_heartbeat
    FROM service_registry ORDER BY last_heartbeat DESC)");
  ASSERT_EQ(registry.size(), 1u);
  EXPECT_EQ(registry[0]["service_name"].as<std::string>(), "data-bridge");
  EXPECT_GE(registry[0]["seconds_since_heartbeat"].as<double>(), 4.0);

  pqxx::result infrastructure = query(R"(
    SELECT component_name, status, response_time_ms, checked_at
    FROM infrastructure_status WHERE checked_at > CURRENT_TIMESTAMP - INTERVAL '1 hour' ORDER BY checked_at DESC)");
  ASSERT_EQ(infrastructure.size(), 1u);
  EXPECT_EQ(infrastructure[0]["response_time_ms"].as<double>(), 1.5);

  pqxx::result uptime = query(R"(
    SELECT service_name, COUNT(*) as total_heartbeats,
           COUNT(CASE WHEN status = 'healthy' THEN 1 END) as healthy_count,
           (COUNT(CASE WHEN status = 'healthy' THEN 1 END) * 100.0 / COUNT(*)) as uptime_pct
    FROM health_metrics WHERE timestamp > CURRENT_TIMESTAMP - INTERVAL '24 hours'
    GROUP BY service_name ORDER BY uptime_pct DESC)");
  ASSERT_EQ(uptime.size(), 1u);
  EXPECT_EQ(uptime[0]["total_heartbeats"].as<int>(), 4);
  EXPECT_EQ(uptime[0]["healthy_count"].as<int>(), 3);
  EXPECT_DOUBLE_EQ(uptime[0]["uptime_pct"].as<double>(), 75.0);
}

TEST_F(PostgresMigrations, AFailingMigrationLeavesNothingOfItself) {
  auto storage = hub::open_postgres_storage(settings_);
  EXPECT_THAT([&] { storage->migrate(kTwoThenBroken); },
              testing::ThrowsMessage<hub::StorageError>(HasSubstr("migration 0002_broken failed, nothing of it was applied: ")));
  EXPECT_EQ(query("SELECT 1 FROM pg_tables WHERE tablename = 'second_table'").size(), 0u);
  EXPECT_EQ(query("SELECT 1 FROM pg_tables WHERE tablename = 'first_table'").size(), 1u);
  EXPECT_EQ(query("SELECT name FROM hub_schema_migrations")[0][0].as<std::string>(), "0001_first");
}
