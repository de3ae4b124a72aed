// Configs survive restarts and a kill -9 on sqlite and postgres; an update
// that cannot be stored changes nothing; changes reach NATS subscribers.
#include "support/config_hub.hpp"
#include "support/hubd_process.hpp"
#include "support/integration_servers.hpp"
#include "support/scratch_database.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nats/nats.h>
#include <sqlite3.h>

#include <atomic>
#include <filesystem>
#include <map>
#include <thread>
#include <vector>

namespace {

using hub::HttpReply;
using hub::testing::Json;
using hub::testing::json_of;
using hub::testing::TestHub;
using testing::HasSubstr;

HttpReply put(const TestHub& hub, const std::string& path, const std::string& body) {
  return hub::testing::put_config(hub.url() + path, body);
}

// Updates, rolls back and sets the global config; restarts on the same storage; checks all came back.
void configs_survive_a_restart(const std::string& storage_yaml) {
  int64_t revision_before = 0;
  {
    TestHub hub(hub::testing::config_options("", storage_yaml));
    ASSERT_EQ(put(hub, "/config/svc", R"({"config_data": {"operational": {"limit": 1}}, "created_by": "alice"})").status, 201);
    ASSERT_EQ(put(hub, "/config/svc", R"({"config_data": {"operational": {"limit": 2}}, "created_by": "bob"})").status, 201);
    ASSERT_EQ(hub.post("/config/svc/rollback", R"({"version": 1, "created_by": "carol"})").status, 200);
    ASSERT_EQ(put(hub, "/global-config", R"({"config_data": {"region": "eu"}})").status, 201);
    revision_before = json_of(hub.get("/config/svc"))["revision"];
  }
  TestHub hub(hub::testing::config_options("", storage_yaml));
  const Json now = json_of(hub.get("/config/svc"));
  EXPECT_EQ(now["version"], 1);
  EXPECT_EQ(now["global_version"], 1);
  EXPECT_EQ(now["revision"], revision_before);
  EXPECT_EQ(now["created_by"], "alice");
  EXPECT_EQ(now["config"], Json::parse(R"({"operational": {"limit": 1}, "region": "eu"})"));
  const Json history = json_of(hub.get("/config/svc/history"));
  EXPECT_EQ(history["latest_version"], 2);
  EXPECT_EQ(history["changes"][0]["action"], "rollback");
  EXPECT_EQ(history["changes"][0]["created_by"], "carol");
  const HttpReply next = put(hub, "/config/svc", R"({"config_data": {"operational": {"limit": 3}}})");
  EXPECT_EQ(json_of(next)["version"], 3);
  EXPECT_GT(json_of(next)["revision"], revision_before) << "revisions keep growing across restarts";
}

// Streams acknowledged updates into hubd from several writers at once, so they are committed in
// groups, kills it with SIGKILL mid-stream, restarts it, and checks that every acknowledged
// version is there as sent.
void no_acknowledged_update_is_lost_to_a_kill(const std::filesystem::path& scratch, const std::string& storage_yaml) {
  constexpr int kWriters = 8;
  const uint16_t port = hub::testing::free_port();
  const std::string yaml = "listen: 127.0.0.1:" + std::to_string(port) + "\nstorage: " + storage_yaml +
                           "\nlogging: {level: warn}\nconfig_management: {retention_versions: 100000}\n";
  std::map<int64_t, int> acknowledged[kWriters];  // per writer's service: version -> the value sent
  int grouped = 0;
  {
    hub::testing::HubdProcess hubd(scratch / "hub.yaml", yaml, port);
    grouped = hub::testing::stream_writes_then_kill(hubd, kWriters, 400, [&](int writer, int value) {
      hub::HttpCallOptions options;
      options.body = R"({"config_data": {"sequence": )" + std::to_string(value) + "}}";
      options.timeout = std::chrono::seconds(2);
      const HttpReply reply = hub::http_call("PUT", hubd.url() + "/config/stream-" + std::to_string(writer), options);
      if (reply.status != 201) return false;
      acknowledged[writer][json_of(reply)["version"].get<int64_t>()] = value;
      return true;
    });
  }
  EXPECT_GE(grouped, 2) << "the writes were committed one by one: the grouped path was not exercised";
  hub::testing::HubdProcess hubd(scratch / "hub.yaml", yaml, port);
  for (int writer = 0; writer < kWriters; ++writer) {
    ASSERT_GE(acknowledged[writer].size(), 10u);
    const std::string service = "/config/stream-" + std::to_string(writer);
    for (const auto& [version, value] : acknowledged[writer]) {
      const HttpReply stored = hub::http_call("GET", hubd.url() + service + "/versions/" + std::to_string(version));
      ASSERT_EQ(stored.status, 200) << "acknowledged version " << version << " of " << service << " is missing: " << stored.body;
      EXPECT_EQ(json_of(stored)["config_data"]["sequence"], value);
    }
    const Json now = json_of(hub::http_call("GET", hubd.url() + service));
    EXPECT_GE(now["version"].get<int64_t>(), acknowledged[writer].rbegin()->first);
  }
}

class SqliteConfig : public testing::Test {
 protected:
  void SetUp() override {
    scratch_ = std::filesystem::temp_directory_path() / ("hub-config-" + std::to_string(::getpid()));
    std::filesystem::remove_all(scratch_);
    std::filesystem::create_directories(scratch_);
    storage_yaml_ = "{backend: sqlite, sqlite: {path: " + (scratch_ / "hub.db").string() + "}}";
  }
  void TearDown() override { std::filesystem::remove_all(scratch_); }
  std::filesystem::path scratch_;
  std::string storage_yaml_;
};

TEST_F(SqliteConfig, VersionsRollbacksAndRevisionsSurviveARestart) {
  configs_survive_a_restart(storage_yaml_);
}

TEST_F(SqliteConfig, NoAcknowledgedUpdateIsLostWhenTheHubIsKilled) {
  no_acknowledged_update_is_lost_to_a_kill(scratch_, storage_yaml_);
}

TEST_F(SqliteConfig, AnUpdateThatCannotBeStoredAnswers503AndChangesNothing) {
  TestHub hub(hub::testing::config_options("", storage_yaml_));
  ASSERT_EQ(put(hub, "/config/svc", R"({"config_data": {"a": 1}})").status, 201);
  sqlite3* blocker = nullptr;
  sqlite3_open((scratch_ / "hub.db").c_str(), &blocker);
  sqlite3_exec(blocker, "PRAGMA busy_timeout=0; BEGIN IMMEDIATE", nullptr, nullptr, nullptr);
  hub::HttpCallOptions options;
  options.body = R"({"config_data": {"a": 2}})";
  options.timeout = std::chrono::seconds(15);  // longer than SQLite's busy timeout
  const HttpReply refused = hub::http_call("PUT", hub.url() + "/config/svc", options);
  sqlite3_exec(blocker, "ROLLBACK", nullptr, nullptr, nullptr);
  sqlite3_close(blocker);
  EXPECT_EQ(refused.status, 503);
  EXPECT_THAT(json_of(refused)["message"].get<std::string>(), HasSubstr("the config was not stored, nothing changed"));
  EXPECT_EQ(json_of(hub.get("/config/svc"))["config"]["a"], 1);
  EXPECT_EQ(json_of(hub.get("/config/svc/history"))["latest_version"], 1);
  const HttpReply after = put(hub, "/config/svc", R"({"config_data": {"a": 3}})");
  EXPECT_EQ(json_of(after)["version"], 2) << "the refused update used no version number";
}

class PostgresConfig : public testing::Test {
 protected:
  void SetUp() override {
    const auto server = hub::testing::test_postgres();
    HUB_NEED_SERVER(server, "HUB_TEST_PG_HOST", "PostgreSQL server");
    database_ = std::make_unique<hub::testing::ScratchDatabase>(*server, "hub_config");
    const hub::PostgresSettings& s = database_->settings();
    storage_yaml_ = "{backend: postgres, postgres: {host: " + s.host + ", port: " + std::to_string(s.port) + ", user: " + s.user +
                    ", dbname: " + s.dbname + "}}";
    scratch_ = std::filesystem::temp_directory_path() / ("hub-pgconfig-" + std::to_string(::getpid()));
    std::filesystem::create_directories(scratch_);
  }
  void TearDown() override { std::filesystem::remove_all(scratch_); }
  std::unique_ptr<hub::testing::ScratchDatabase> database_;
  std::string storage_yaml_;
  std::filesystem::path scratch_;
};

TEST_F(PostgresConfig, VersionsRollbacksAndRevisionsSurviveARestart) {
  configs_survive_a_restart(storage_yaml_);
  // The seed's table answers the seed's question: the active config of a service, as JSONB.
  const pqxx::result active =
      database_->query("SELECT version, config_data->'operational'->>'limit' FROM service_configs WHERE service_name = 'svc' AND active");
  ASSERT_EQ(active.size(), 1u);
  EXPECT_EQ(active[0][0].as<int>(), 3);
  EXPECT_EQ(active[0][1].as<std::string>(), "3");
}

TEST_F(PostgresConfig, NoAcknowledgedUpdateIsLostWhenTheHubIsKilled) {
  no_acknowledged_update_is_lost_to_a_kill(scratch_, storage_yaml_);
}

class NatsConfig : public testing::Test {
 protected:
  void SetUp() override {
    const auto url = hub::testing::test_nats_url();
    HUB_NEED_SERVER(url, "HUB_TEST_NATS_URL", "NATS server");
    url_ = *url;
  }
  void TearDown() override {
    natsSubscription_Destroy(subscription_);
    natsConnection_Destroy(connection_);
  }
  std::string url_;
  natsConnection* connection_ = nullptr;
  natsSubscription* subscription_ = nullptr;
};

TEST_F(NatsConfig, EveryChangeIsPublishedOnTheServicesSubject) {
  ASSERT_EQ(natsConnection_ConnectTo(&connection_, url_.c_str()), NATS_OK);
  ASSERT_EQ(natsConnection_SubscribeSync(&subscription_, connection_, "cfgtest.config.>"), NATS_OK);
  ASSERT_EQ(natsConnection_Flush(connection_), NATS_OK);
  TestHub hub(hub::testing::config_options("events: {nats: {url: \"" + url_ + "\", subject_prefix: cfgtest}}"));
  ASSERT_EQ(put(hub, "/config/risk-management", R"({"config_data": {"max_position_size": 5}})").status, 201);
  ASSERT_EQ(hub.post("/config/risk-management/rollback", R"({"version": 1})").status, 409);
  ASSERT_EQ(put(hub, "/config/risk-management", R"({"config_data": {"max_position_size": 7}})").status, 201);
  ASSERT_EQ(hub.post("/config/risk-management/rollback", R"({"version": 1, "created_by": "oncall"})").status, 200);
  std::vector<Json> seen;
  for (int i = 0; i < 3; ++i) {
    natsMsg* message = nullptr;
    ASSERT_EQ(natsSubscription_NextMsg(&message, subscription_, 10000), NATS_OK) << "message " << i << " did not come";
    EXPECT_STREQ(natsMsg_GetSubject(message), "cfgtest.config.risk-management");
    seen.push_back(Json::parse(std::string(natsMsg_GetData(message), natsMsg_GetDataLength(message))));
    natsMsg_Destroy(message);
  }
  EXPECT_EQ(seen[0]["config"]["max_position_size"], 5);
  EXPECT_EQ(seen[1]["version"], 2);
  EXPECT_EQ(seen[2]["action"], "rollback");
  EXPECT_EQ(seen[2]["created_by"], "oncall");
  EXPECT_EQ(seen[2]["config"]["max_position_size"], 5);
}

TEST(NatsConfigDown, UpdatesAreServedWhileNatsIsUnreachable) {
  TestHub hub(hub::testing::config_options("events: {nats: {url: \"nats://127.0.0.1:1\", subject_prefix: cfgtest}}"));
  EXPECT_EQ(put(hub, "/config/svc", R"({"config_data": {"a": 1}})").status, 201);
  EXPECT_EQ(json_of(hub.get("/config/svc"))["version"], 1);
}

}  // namespace
