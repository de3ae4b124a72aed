// Registrations survive a restart on sqlite and postgres; heartbeats reach
// storage coalesced; the seed's Example 7 runs on a live hub's database; and
// a lost PostgreSQL keeps reads working, fails writes clearly, and reconnects.
#include "support/hubd_process.hpp"
#include "support/log_capture.hpp"
#include "support/registry_hub.hpp"
#include "support/scratch_database.hpp"
#include "support/sqlite_rows.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <atomic>
#include <filesystem>
#include <set>
#include <thread>
#include <vector>

namespace {

using hub::testing::parse_json;
using testing::HasSubstr;
namespace v1 = hub::api::v1;

const char* kCollector = R"({"service_name": "polygon-live-collector", "version": "1.2.3", "host": "polygon-live-collector",
  "port": 8002, "dependencies": ["central-hub", "timescaledb", "nats"], "metadata": {"type": "data-ingestion", "phase": "phase-1"},
  "tags": ["ingest"], "weight": 30})";

// Registers, heartbeats (one degraded with metrics), restarts the hub on the same storage, and checks what came back.
void survives_a_restart(const hub::StorageSettings& storage) {
  auto options = [&] {
    hub::HubOptions options = hub::testing::registry_options();
    options.manifest.storage = storage;
    return options;
  };
  {
    hub::testing::TestHub hub(options());
    ASSERT_EQ(hub.post("/register", kCollector).status, 201);
    ASSERT_EQ(hub.post("/register", R"({"service_name": "tick-aggregator", "host": "10.0.0.2", "port": 8003})").status, 201);
    ASSERT_EQ(hub.post("/heartbeat", R"({"service_name": "tick-aggregator", "status": "degraded", "metrics": {"cpu": 0.8, "memory": 512}})")
                  .status,
              200);
    ASSERT_EQ(hub.post("/register", R"({"service_name": "gone", "host": "10.0.0.3", "port": 1})").status, 201);
    ASSERT_EQ(hub.post("/deregister", R"({"service_name": "gone"})").status, 200);
  }
  hub::testing::TestHub hub(options());
  const auto services = parse_json<v1::ServicesResponse>(hub.get("/services"));
  ASSERT_EQ(services.services_size(), 2) << hub.get("/services").body;
  const v1::ServiceInstance& collector = services.services(0);
  EXPECT_EQ(collector.service_name(), "polygon-live-collector");
  EXPECT_EQ(collector.url(), "http://polygon-live-collector:8002");
  EXPECT_EQ(collector.version(), "1.2.3");
  EXPECT_THAT(collector.dependencies(), testing::ElementsAre("central-hub", "timescaledb", "nats"));
  EXPECT_EQ(collector.metadata().fields().at("phase").string_value(), "phase-1");
  EXPECT_THAT(collector.tags(), testing::ElementsAre("ingest"));
  EXPECT_EQ(collector.weight(), 30u);
  EXPECT_EQ(services.services(1).status(), "degraded");
  EXPECT_EQ(hub.get("/services/gone").status, 404);
}

// Streams acknowledged registrations into hubd from several writers at once, so they are committed
// in groups, kills it with SIGKILL mid-stream, restarts it on the same storage, and checks that
// every acknowledged instance is there.
void no_acknowledged_registration_is_lost_to_a_kill(const std::string& storage_yaml) {
  constexpr int kWriters = 8;
  const auto scratch = std::filesystem::temp_directory_path() / ("hub-registry-kill-" + std::to_string(::getpid()));
  std::filesystem::create_directories(scratch);
  const uint16_t port = hub::testing::free_port();
  const std::string yaml = "listen: 127.0.0.1:" + std::to_string(port) + "\nstorage: " + storage_yaml +
                           "\nlogging: {level: warn}\nplugins:\n  search_paths: [" HUB_PLUGIN_DIR
                           "]\n  libraries:\n"
                           "    - library: discovery\n      enable: [{implementation: liveness}]\n";
  std::vector<std::string> acknowledged[kWriters];
  int grouped = 0;
  {
    hub::testing::HubdProcess hubd(scratch / "hub.yaml", yaml, port);
    grouped = hub::testing::stream_writes_then_kill(hubd, kWriters, 400, [&](int writer, int n) {
      const std::string id = "w" + std::to_string(writer) + "-" + std::to_string(n);
      hub::HttpCallOptions options;
      options.body = R"({"service_name": "stream", "instance_id": ")" + id + R"(", "host": "10.0.0.1", "port": 8000})";
      options.timeout = std::chrono::seconds(2);
      if (hub::http_call("POST", hubd.url() + "/register", options).status != 201) return false;
      acknowledged[writer].push_back(id);
      return true;
    });
  }
  EXPECT_GE(grouped, 2) << "the writes were committed one by one: the grouped path was not exercised";
  hub::testing::HubdProcess hubd(scratch / "hub.yaml", yaml, port);
  const auto stream = parse_json<v1::ServiceResponse>(hub::http_call("GET", hubd.url() + "/services/stream"));
  std::set<std::string> stored;
  for (const v1::ServiceInstance& instance : stream.instances()) stored.insert(instance.instance_id());
  for (int writer = 0; writer < kWriters; ++writer) {
    ASSERT_GE(acknowledged[writer].size(), 10u);
    for (const std::string& id : acknowledged[writer]) EXPECT_TRUE(stored.count(id)) << "acknowledged instance " << id << " is missing";
  }
  hubd.kill();
  std::filesystem::remove_all(scratch);
}

class SqliteRegistry : public testing::Test {
 protected:
  void SetUp() override {
    file_ = std::filesystem::temp_directory_path() / ("hub-registry-" + std::to_string(::getpid()) + ".db");
    std::filesystem::remove(file_);
    storage_.backend = hub::StorageSettings::Backend::sqlite;
    storage_.sqlite_path = file_;
  }
  void TearDown() override {
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(file_.string() + suffix);
  }
  std::vector<std::string> column(const std::string& sql) { return hub::testing::sqlite_column(file_, sql); }
  std::filesystem::path file_;
  hub::StorageSettings storage_;
};

TEST_F(SqliteRegistry, RegistrationsSurviveARestart) {
  survives_a_restart(storage_);
  EXPECT_THAT(column("SELECT metric_type || '=' || metric_value || ' ' || status FROM health_metrics ORDER BY metric_type"),
              testing::ElementsAre("cpu=0.8 degraded", "memory=512.0 degraded"));
}

TEST_F(SqliteRegistry, NoAcknowledgedRegistrationIsLostWhenTheHubIsKilled) {
  no_acknowledged_registration_is_lost_to_a_kill("{backend: sqlite, sqlite: {path: " + file_.string() + "}}");
}

TEST_F(SqliteRegistry, HeartbeatsReachTheDatabaseCoalesced) {
  auto clock = std::make_shared<hub::ManualClock>();
  hub::HubOptions options = hub::testing::registry_options(hub::testing::kLiveness, clock);
  options.manifest.storage = storage_;
  hub::testing::TestHub hub(std::move(options));
  ASSERT_EQ(hub.post("/register", kCollector).status, 201);
  for (int beat = 0; beat < 5; ++beat) {
    clock->advance(std::chrono::seconds(10));
    ASSERT_EQ(hub.post("/heartbeat", R"({"service_name": "polygon-live-collector"})").status, 200);
  }
  hub->flush_heartbeats();
  EXPECT_THAT(column("SELECT last_heartbeat FROM service_registry"), testing::ElementsAre("2023-11-14 22:14:10.000"));
  EXPECT_THAT(column("SELECT COUNT(*) FROM health_metrics WHERE metric_type = 'heartbeat'"), testing::ElementsAre("5"));
}

TEST_F(SqliteRegistry, AWriteStorageRefusesIsA503AndChangesNothing) {
  hub::HubOptions options = hub::testing::registry_options();
  options.manifest.storage = storage_;
  hub::testing::TestHub hub(std::move(options));
  ASSERT_EQ(hub.post("/register", kCollector).status, 201);
  // Another writer holds the database's write lock longer than the busy timeout allows.
  column("SELECT 1");
  sqlite3* blocker = nullptr;
  sqlite3_open(file_.c_str(), &blocker);
  sqlite3_exec(blocker, "PRAGMA busy_timeout=0; BEGIN IMMEDIATE", nullptr, nullptr, nullptr);
  // The hub waits out SQLite's busy timeout (5 s) before it gives up; the call waits longer than that.
  hub::HttpCallOptions call;
  call.body = R"({"service_name": "late", "host": "10.0.0.9", "port": 1})";
  call.timeout = std::chrono::seconds(30);
  const hub::HttpReply refused = hub::http_call("POST", hub.url() + "/register", call);
  sqlite3_exec(blocker, "ROLLBACK", nullptr, nullptr, nullptr);
  sqlite3_close(blocker);
  EXPECT_EQ(refused.status, 503);
  EXPECT_THAT(refused.body, HasSubstr("the registration was not stored, nothing changed"));
  EXPECT_EQ(hub.get("/services/late").status, 404);
  EXPECT_EQ(hub.get("/services/polygon-live-collector").status, 200);
}

class PostgresRegistry : public testing::Test {
 protected:
  void SetUp() override {
    const auto server = hub::testing::test_postgres();
    HUB_NEED_SERVER(server, "HUB_TEST_PG_HOST", "PostgreSQL server");
    database_ = std::make_unique<hub::testing::ScratchDatabase>(*server, "hub_registry");
    storage_.backend = hub::StorageSettings::Backend::postgres;
    storage_.postgres = database_->settings();
    storage_.postgres.connect_timeout_seconds = 2;
  }
  std::unique_ptr<hub::testing::ScratchDatabase> database_;
  hub::StorageSettings storage_;
};

TEST_F(PostgresRegistry, RegistrationsSurviveARestart) {
  survives_a_restart(storage_);
  const pqxx::result metrics = database_->query("SELECT metric_type, status FROM health_metrics ORDER BY metric_type");
  ASSERT_EQ(metrics.size(), 2u);
  EXPECT_EQ(metrics[0][0].as<std::string>(), "cpu");
  EXPECT_EQ(metrics[0][1].as<std::string>(), "degraded");
}

// The heartbeats' flush is one statement per batch (arrays): quotes, backslashes, braces and commas
// in a metric's name, and a word like NULL, arrive as they were sent; many instances land at once.
TEST_F(PostgresRegistry, HeartbeatsLandInBatchesWithEveryNameAsSent) {
  auto clock = std::make_shared<hub::ManualClock>();
  hub::HubOptions options = hub::testing::registry_options(hub::testing::kLiveness, clock);
  options.manifest.storage = storage_;
  hub::testing::TestHub hub(std::move(options));
  constexpr int kInstances = 5050;  // more than one batch of 5,000
  for (int i = 0; i < kInstances; ++i)
    ASSERT_EQ(hub.post("/register", R"({"service_name": "fleet", "host": "10.1.)" + std::to_string(i / 250) + "." +
                                        std::to_string(i % 250) + R"(", "port": 80})")
                  .status,
              201);
  clock->advance(std::chrono::seconds(10));
  for (int i = 0; i < kInstances; ++i)
    ASSERT_EQ(hub.post("/heartbeat", R"({"service_name": "fleet", "instance_id": "10.1.)" + std::to_string(i / 250) + "." +
                                         std::to_string(i % 250) + R"(:80"})")
                  .status,
              200);
  ASSERT_EQ(hub.post("/heartbeat",
                     R"({"service_name": "fleet", "instance_id": "10.1.0.0:80", "metrics": {"p99 \"ms\", {a\\b}": 2.5, "NULL": 1}})")
                .status,
            200);
  hub->flush_heartbeats();
  EXPECT_EQ(database_->query("SELECT COUNT(*) FROM service_registry WHERE last_heartbeat > created_at")[0][0].as<int>(), kInstances);
  const pqxx::result metrics =
      database_->query("SELECT metric_type, metric_value FROM health_metrics WHERE metric_type <> 'heartbeat' ORDER BY metric_type");
  ASSERT_EQ(metrics.size(), 2u);
  EXPECT_EQ(metrics[0][0].as<std::string>(), "NULL");
  EXPECT_EQ(metrics[1][0].as<std::string>(), R"(p99 "ms", {a\b})");
  EXPECT_EQ(metrics[1][1].as<double>(), 2.5);
}

TEST_F(PostgresRegistry, NoAcknowledgedRegistrationIsLostWhenTheHubIsKilled) {
  const hub::PostgresSettings& pg = storage_.postgres;
  no_acknowledged_registration_is_lost_to_a_kill("{backend: postgres, postgres: {host: " + pg.host + ", port: " + std::to_string(pg.port) +
                                                 ", dbname: " + pg.dbname + ", user: " + pg.user + "}}");
}

TEST_F(PostgresRegistry, TheSeedsExample7RunsOnALiveHubsDatabase) {
  hub::HubOptions options = hub::testing::registry_options();
  options.manifest.storage = storage_;
  hub::testing::TestHub hub(std::move(options));
  ASSERT_EQ(hub.post("/register", kCollector).status, 201);
  for (const char* status : {"healthy", "healthy", "healthy", "degraded"})
    ASSERT_EQ(hub.post("/heartbeat", std::string(R"({"service_name": "polygon-live-collector", "status": ")") + status + "\"}").status,
              200);
  hub->flush_heartbeats();
  // Example 7, as the seed writes it.
  const pqxx::result registry = database_->query(R"(
    SELECT
        service_name,
        status,
        last_heartbeat,
        EXTRACT(EPOCH FROM (CURRENT_TIMESTAMP - last_heartbeat)) as seconds_since_heartbeat
    FROM service_registry
    ORDER BY last_heartbeat DESC;)");
  ASSERT_EQ(registry.size(), 1u);
  EXPECT_EQ(registry[0][0].as<std::string>(), "polygon-live-collector");
  EXPECT_EQ(registry[0][1].as<std::string>(), "degraded");
  const double silent = registry[0][3].as<double>();
  EXPECT_GE(silent, 0);
  EXPECT_LT(silent, 60);  // the hub's instants and the database's clock agree
  const pqxx::result uptime = database_->query(R"(
    SELECT
        service_name,
        COUNT(*) as total_heartbeats,
        COUNT(CASE WHEN status = 'healthy' THEN 1 END) as healthy_count,
        (COUNT(CASE WHEN status = 'healthy' THEN 1 END) * 100.0 / COUNT(*)) as uptime_pct
    FROM health_metrics
    WHERE timestamp > CURRENT_TIMESTAMP - INTERVAL '24 hours'
    GROUP BY service_name
    ORDER BY uptime_pct DESC;)");
  ASSERT_EQ(uptime.size(), 1u);
  EXPECT_EQ(uptime[0][1].as<int>(), 4);
  EXPECT_DOUBLE_EQ(uptime[0][3].as<double>(), 75.0);
}

TEST_F(PostgresRegistry, ALostDatabaseKeepsReadsFailsWritesClearlyAndReconnects) {
  hub::HubOptions options = hub::testing::registry_options();
  options.manifest.storage = storage_;
  options.manifest.logging.level = "info";
  options.housekeeping_interval = std::chrono::milliseconds(20);
  auto log = std::make_shared<hub::testing::LogCapture>();
  options.log_lines = log->sink();
  hub::testing::TestHub hub(std::move(options));
  ASSERT_EQ(hub.post("/register", kCollector).status, 201);

  database_->admin("ALTER DATABASE " + database_->name() + " ALLOW_CONNECTIONS false");
  database_->admin("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '" + database_->name() + "'");
  EXPECT_EQ(hub.get("/services/polygon-live-collector").status, 200);
  EXPECT_EQ(hub.get("/discover/polygon-live-collector").status, 200);
  const hub::HttpReply refused = hub.post("/register", R"({"service_name": "late", "host": "10.0.0.9", "port": 1})");
  EXPECT_EQ(refused.status, 503);
  EXPECT_THAT(refused.body, HasSubstr("storage_unavailable"));
  EXPECT_THAT(refused.body, HasSubstr("the registration was not stored, nothing changed"));
  EXPECT_EQ(hub.get("/services/late").status, 404);
  EXPECT_EQ(hub.post("/heartbeat", R"({"service_name": "polygon-live-collector", "metrics": {"cpu": 0.5}})").status, 200);
  // The housekeeping thread retries every 20 ms; let it fail a few times.
  const hub::Metrics::Labels heartbeats{{"task", "heartbeats"}};
  const auto failing = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (hub->metrics().value("hub_housekeeping_failures_total", heartbeats) < 3 && std::chrono::steady_clock::now() < failing)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));  // polling a condition, bounded by the deadline
  EXPECT_GE(hub->metrics().value("hub_housekeeping_failures_total", heartbeats), 3);

  database_->admin("ALTER DATABASE " + database_->name() + " ALLOW_CONNECTIONS true");
  EXPECT_EQ(hub.post("/register", R"({"service_name": "late", "host": "10.0.0.9", "port": 1})").status, 201);
  // The heartbeat kept in memory during the outage reaches the database once it is back.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  int rows = 0;
  while (std::chrono::steady_clock::now() < deadline && rows == 0) {
    rows = database_->query("SELECT COUNT(*) FROM health_metrics WHERE metric_type = 'cpu'")[0][0].as<int>();
    if (rows == 0) std::this_thread::sleep_for(std::chrono::milliseconds(20));  // polling interval
  }
  EXPECT_EQ(rows, 1);
  // An outage is two lines in the log, however many passes failed during it.
  EXPECT_TRUE(log->wait_for("heartbeats not written to storage; they are kept in memory (bounded) meanwhile: works again after"))
      << log->all();
  EXPECT_EQ(log->count("heartbeats not written to storage; they are kept in memory (bounded) meanwhile, retrying"), 1u) << log->all();
}

}  // namespace
