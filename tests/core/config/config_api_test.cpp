#include "support/config_hub.hpp"
#include "support/storage_backend.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>

namespace {

using hub::HttpReply;
using hub::testing::Json;
using hub::testing::json_of;
using hub::testing::TestHub;
using testing::HasSubstr;
using namespace std::chrono_literals;

using hub::testing::Backend;

// The API on one backend; every suite below runs on memory, SQLite and PostgreSQL alike.
class ConfigHub : public testing::Test {
 protected:
  void use(Backend backend) { store_ = std::make_unique<hub::testing::ScratchStore>(backend); }
  void start(const std::string& extra_yaml = "") {
    hub_.reset();
    hub_ = std::make_unique<TestHub>(hub::testing::config_options(extra_yaml, store_->yaml()));
  }

  HttpReply put(const std::string& path, const std::string& body) { return hub::testing::put_config(hub_->url() + path, body); }
  HttpReply get(const std::string& path) { return hub_->get(path); }
  HttpReply post(const std::string& path, const std::string& body) { return hub_->post(path, body); }
  Json config_of(const std::string& service) { return json_of(get("/config/" + service)); }
  // Updates and checks it was accepted; returns the answer.
  Json update(const std::string& path, const std::string& config, const std::string& author = "admin") {
    const HttpReply reply = put(path, R"({"config_data": )" + config + R"(, "created_by": ")" + author + R"("})");
    EXPECT_EQ(reply.status, 201) << reply.body;
    return json_of(reply);
  }

  std::unique_ptr<hub::testing::ScratchStore> store_;
  std::unique_ptr<TestHub> hub_;
};

class ConfigApi : public ConfigHub, public testing::WithParamInterface<Backend> {
 protected:
  void SetUp() override {
    HUB_NEED_BACKEND(GetParam());
    use(GetParam());
    start();
  }
};

TEST_P(ConfigApi, EveryUpdateCreatesAVersionAndTheLatestIsActive) {
  const Json first = update("/config/tick-aggregator", R"({"operational": {"timeframes": ["5m"], "interval": 60}})", "alice");
  EXPECT_EQ(first["version"], 1);
  EXPECT_EQ(first["service_name"], "tick-aggregator");
  const Json second = update("/config/tick-aggregator", R"({"operational": {"timeframes": ["5m", "1h"], "interval": 30}})", "bob");
  EXPECT_EQ(second["version"], 2);
  EXPECT_GT(second["revision"], first["revision"]);

  const Json now = config_of("tick-aggregator");
  EXPECT_EQ(now["version"], 2);
  EXPECT_EQ(now["revision"], second["revision"]);
  EXPECT_EQ(now["created_by"], "bob");
  EXPECT_EQ(now["config"], Json::parse(R"({"operational": {"timeframes": ["5m", "1h"], "interval": 30}})"));
  EXPECT_THAT(now["created_at"].get<std::string>(), testing::EndsWith("Z"));

  const Json old = json_of(get("/config/tick-aggregator/versions/1"));
  EXPECT_EQ(old["config_data"]["operational"]["interval"], 60);
  EXPECT_EQ(old["active"], false);
  EXPECT_EQ(old["created_by"], "alice");
  // POST is an update too, as the seed's ConfigAPI.update_config.
  EXPECT_EQ(post("/config/tick-aggregator", R"({"config_data": {"x": 1}})").status, 201);
  EXPECT_EQ(config_of("tick-aggregator")["created_by"], "api");
}

TEST_P(ConfigApi, TheGlobalConfigIsMergedUnderEveryServiceAndTheServiceWins) {
  update("/global-config", R"({"operational": {"log_level": "info", "limits": {"cpu": 2, "memory": 512}}, "region": "eu"})", "platform");
  update("/config/risk-management", R"({"operational": {"limits": {"memory": 1024}, "max_position_size": 10}})", "risk-team");
  const Json risk = config_of("risk-management");
  EXPECT_EQ(risk["config"], Json::parse(R"({"operational": {"log_level": "info", "limits": {"cpu": 2, "memory": 1024},
      "max_position_size": 10}, "region": "eu"})"));
  EXPECT_EQ(risk["version"], 1);
  EXPECT_EQ(risk["global_version"], 1);
  EXPECT_EQ(risk["created_by"], "risk-team");

  const Json other = config_of("no-config-yet");
  EXPECT_EQ(other["version"], 0);
  EXPECT_EQ(other["config"]["region"], "eu");
  EXPECT_EQ(other["created_by"], "platform");  // the layer it has: the global one
  const Json global = json_of(get("/global-config"));
  EXPECT_EQ(global["service_name"], "_global");
  EXPECT_EQ(global["version"], 1);
  EXPECT_EQ(global["created_by"], "platform");
  EXPECT_THAT(global["created_at"].get<std::string>(), testing::EndsWith("Z"));
}

TEST_P(ConfigApi, AServiceWithoutAnyConfigGetsAnEmptyObjectAtVersionZero) {
  const Json none = config_of("fresh-service");
  EXPECT_EQ(none["version"], 0);
  EXPECT_EQ(none["revision"], 0);
  EXPECT_EQ(none["config"], Json::object());
  EXPECT_EQ(get("/config/fresh-service/history").status, 404);
  EXPECT_THAT(get("/config/fresh-service/history").body, HasSubstr("has no config yet"));
}

TEST_P(ConfigApi, HistoryListsVersionsAndChangesNewestFirst) {
  update("/config/svc", R"({"a": 1})", "alice");
  update("/config/svc", R"({"a": 2})", "bob");
  ASSERT_EQ(post("/config/svc/rollback", R"({"version": 1, "created_by": "carol"})").status, 200);
  const Json history = json_of(get("/config/svc/history"));
  EXPECT_EQ(history["active_version"], 1);
  EXPECT_EQ(history["latest_version"], 2);
  ASSERT_EQ(history["versions"].size(), 2u);
  EXPECT_EQ(history["versions"][0]["version"], 2);
  EXPECT_EQ(history["versions"][0]["created_by"], "bob");
  EXPECT_EQ(history["versions"][1]["active"], true);
  ASSERT_EQ(history["changes"].size(), 3u);
  EXPECT_EQ(history["changes"][0]["action"], "rollback");
  EXPECT_EQ(history["changes"][0]["created_by"], "carol");
  EXPECT_EQ(history["changes"][2]["action"], "update");
  EXPECT_EQ(json_of(get("/config/svc/history?limit=1"))["versions"].size(), 1u);
}

TEST_P(ConfigApi, DiffNamesWhatWasAddedRemovedAndChanged) {
  update("/config/svc", R"({"operational": {"symbols": ["EURUSD"], "delay": 5, "old": true}, "same": 1})");
  update("/config/svc", R"({"operational": {"symbols": ["EURUSD", "GBPUSD"], "delay": 5, "new": {"x": 1}}, "same": 1})");
  const Json diff = json_of(get("/config/svc/diff?from=1&to=2"));
  EXPECT_EQ(diff["changes"], Json::parse(R"([
      {"path": "operational.new", "change": "added", "to": {"x": 1}},
      {"path": "operational.old", "change": "removed", "from": true},
      {"path": "operational.symbols", "change": "changed", "from": ["EURUSD"], "to": ["EURUSD", "GBPUSD"]}])"));
  EXPECT_EQ(json_of(get("/config/svc/diff?from=1"))["to"], 2) << "to defaults to the active version";
  EXPECT_EQ(get("/config/svc/diff").status, 400);
  EXPECT_EQ(get("/config/svc/diff?from=1&to=7").status, 404);
  EXPECT_EQ(get("/config/svc/diff?from=x").status, 400);
}

TEST_P(ConfigApi, RollbackMakesAnEarlierVersionActiveAsANewRevision) {
  update("/config/svc", R"({"limit": 1})");
  const Json second = update("/config/svc", R"({"limit": 2})");
  const HttpReply rolled = post("/config/svc/rollback", R"({"version": 1, "created_by": "oncall"})");
  ASSERT_EQ(rolled.status, 200) << rolled.body;
  EXPECT_GT(json_of(rolled)["revision"], second["revision"]);
  const Json now = config_of("svc");
  EXPECT_EQ(now["version"], 1);
  EXPECT_EQ(now["config"]["limit"], 1);
  EXPECT_EQ(now["revision"], json_of(rolled)["revision"]);

  const HttpReply again = post("/config/svc/rollback", R"({"version": 1})");
  EXPECT_EQ(again.status, 409);
  EXPECT_THAT(again.body, HasSubstr("already active"));
  EXPECT_EQ(post("/config/svc/rollback", R"({"version": 9})").status, 404);
  EXPECT_EQ(post("/config/svc/rollback", R"({"version": "1"})").status, 400);
  EXPECT_EQ(post("/config/nothing-here/rollback", R"({"version": 1})").status, 404);
  EXPECT_EQ(post("/global-config/rollback", R"({"version": 1})").status, 404);
}

TEST_P(ConfigApi, VersionsBeyondTheRetentionArePrunedAndSaySo) {
  start("config_management: {retention_versions: 3}");
  for (int i = 1; i <= 6; ++i) update("/config/svc", R"({"n": )" + std::to_string(i) + "}");
  const HttpReply pruned = get("/config/svc/versions/3");
  EXPECT_EQ(pruned.status, 410);
  EXPECT_EQ(json_of(pruned)["message"], "version 3 of service svc was pruned: the hub keeps the latest 3 versions and the active one");
  EXPECT_EQ(get("/config/svc/versions/4").status, 200);
  EXPECT_EQ(get("/config/svc/versions/7").status, 404);
  EXPECT_EQ(get("/config/svc/versions/0").status, 404);
  EXPECT_EQ(get("/config/svc/versions/x").status, 400);
  EXPECT_EQ(post("/config/svc/rollback", R"({"version": 2})").status, 410);

  ASSERT_EQ(post("/config/svc/rollback", R"({"version": 4})").status, 200);
  EXPECT_EQ(get("/config/svc/versions/4").status, 200) << "the active version stays";
  update("/config/svc", R"({"n": 7})");
  const Json history = json_of(get("/config/svc/history"));
  std::vector<int> kept;
  for (const Json& version : history["versions"]) kept.push_back(version["version"]);
  EXPECT_THAT(kept, testing::ElementsAre(7, 6, 5));
}

struct BadUpdate {
  std::string body;
  std::string message_part;
};

void PrintTo(const BadUpdate& bad, std::ostream* out) {
  *out << bad.message_part;
}

class ConfigApiRefuses : public ConfigHub, public testing::WithParamInterface<std::tuple<Backend, BadUpdate>> {
 protected:
  void SetUp() override {
    HUB_NEED_BACKEND(std::get<0>(GetParam()));
    use(std::get<0>(GetParam()));
    start("config_management: {max_config_bytes: 200, max_depth: 4}");
  }
};

INSTANTIATE_TEST_SUITE_P(Backends, ConfigApi, hub::testing::kAllBackends, hub::testing::backend_label);

// Writes storage can refuse one at a time: the durable backends' constraints.
class DurableConfigApi : public ConfigApi {};
INSTANTIATE_TEST_SUITE_P(DurableBackends, DurableConfigApi, testing::Values(Backend::sqlite, Backend::postgres),
                         hub::testing::backend_label);

// A rule of the database the hub does not know of (an operator's constraint) refuses svc's
// configs. That update fails alone, says why and changes nothing; the updates committed in the same
// groups are stored.
TEST_P(DurableConfigApi, AnUpdateTheDatabaseRefusesFailsAloneWithA409AndChangesNothing) {
  store_->refuse_configs_of("svc");
  std::vector<std::future<HttpReply>> others;
  for (int i = 0; i < 8; ++i)
    others.push_back(std::async(std::launch::async, [this, i] {
      return put("/config/other-" + std::to_string(i), R"({"config_data": {"n": )" + std::to_string(i) + "}}");
    }));
  const HttpReply refused = put("/config/svc", R"({"config_data": {"limit": 5}})");
  EXPECT_EQ(refused.status, 409) << refused.body;
  EXPECT_EQ(json_of(refused)["error"], "write_refused");
  EXPECT_THAT(json_of(refused)["message"].get<std::string>(), HasSubstr("the config was not stored, nothing changed"));
  for (auto& other : others) EXPECT_EQ(other.get().status, 201);
  EXPECT_EQ(config_of("svc")["version"], 0);
  EXPECT_EQ(config_of("other-7")["config"]["n"], 7);
  EXPECT_THAT(store_->column("SELECT created_by FROM service_configs WHERE service_name = 'svc'"), testing::IsEmpty());
  EXPECT_EQ(store_->column("SELECT COUNT(*) FROM config_changes WHERE service_name = 'svc'"), std::vector<std::string>{"0"});
}

TEST_P(ConfigApiRefuses, WithA400NamingTheProblemAndChangesNothing) {
  const BadUpdate& bad = std::get<1>(GetParam());
  const Json before = update("/config/svc", R"({"ok": true})");
  const HttpReply reply = put("/config/svc", bad.body);
  EXPECT_EQ(reply.status, 400) << reply.body;
  EXPECT_THAT(json_of(reply)["message"].get<std::string>(), HasSubstr(bad.message_part));
  const Json now = config_of("svc");
  EXPECT_EQ(now["version"], 1);
  EXPECT_EQ(now["revision"], before["revision"]);
  EXPECT_EQ(json_of(get("/config/svc/history"))["latest_version"], 1);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ConfigApiRefuses,
    testing::Combine(
        hub::testing::kAllBackends,
        testing::Values(
            BadUpdate{R"({"config_data": {"operational": {"db": {"password": "x"}}}})",
                      "config_data.operational.db.password: keys that look like secrets are refused"},
            BadUpdate{R"({"config_data": {"brokers": [{"host": "a"}, {"sasl_token": "t"}]}})", "config_data.brokers[1].sasl_token"},
            BadUpdate{R"({"config_data": {"polygonApiKey": "k"}})", "config_data.polygonApiKey"},
            BadUpdate{R"({"config_data": {"tls": {"private-key": "k"}}})", "config_data.tls.private-key"},
            BadUpdate{R"({"config_data": {"aws": {"credentials": {}}}})", "config_data.aws.credentials"},
            BadUpdate{R"({"config_data": [1, 2]})", "config_data: must be a JSON object, got array"},
            BadUpdate{R"({"config_data": {"a": {"b": {"c": {"d": {}}}}}})", "config_data.a.b.c.d: nested deeper than 4 levels"},
            BadUpdate{R"({"config_data": {"text": ")" + std::string(300, 'x') + R"("}})", "over the limit of 200"},
            BadUpdate{R"({"config_data": {"a": 1},})", "invalid JSON body: parse error at line 1, column 26"},
            BadUpdate{R"({"config_data": {"a": 1e400}})", "invalid JSON body: the number 1e400 is out of range"},
            BadUpdate{R"({"config_data": {"a": 1, "a": 2}})", "invalid JSON body: duplicate key \"a\""},
            BadUpdate{R"({"config_data": {"a": 1}, "config_data": {"password": "x"}})", "duplicate key \"config_data\""},
            BadUpdate{R"({"config_data": )" + std::string(10'000, '[') + std::string(10'000, ']') + "}",
                      "invalid JSON body: nested deeper than 6 levels"},
            BadUpdate{R"({"config_data": {}, "created_by": "ops\n2026-11-23 error [hub] storage wiped"})",
                      "created_by: \"ops\\x0a2026-11-23 error [hub] storage wiped\" has control characters"},
            BadUpdate{R"({"config_data": {"a": 1}, "author": "x"})", "unknown field \"author\"; expected config_data, created_by"},
            BadUpdate{R"({"created_by": "x"})", "config_data: required"},
            BadUpdate{R"({"config_data": {}, "created_by": 7})", "created_by: must be a string"},
            BadUpdate{R"({"config_data": {"": 1}})", "empty keys are not accepted"},
            BadUpdate{R"("just a string")", "the body must be a JSON object"})));

TEST_P(ConfigApi, ARollbackBodyIsReadAsStrictlyAsAnUpdate) {
  update("/config/svc", R"({"n": 1})");
  update("/config/svc", R"({"n": 2})");
  for (const std::string body :
       {R"({"version": 1e400})", R"({"version": 1, "version": 2})", R"({"version": 1, "created_by": "a\u0007"})"}) {
    const HttpReply reply = post("/config/svc/rollback", body);
    EXPECT_EQ(reply.status, 400) << body << ": " << reply.body;
    EXPECT_EQ(json_of(reply)["error"], "invalid_argument");
  }
  EXPECT_EQ(config_of("svc")["version"], 2);
}

TEST_P(ConfigApi, NonSecretKeysThatContainSecretishLettersAreAccepted) {
  update("/config/llm", R"({"max_tokens": 512, "tokenizer": "bpe", "author": "x", "keyboard": 1, "secretary_count": 0})");
}

TEST_P(ConfigApi, AnInvalidServiceNameIsRefused) {
  const HttpReply reply = put("/config/-bad", R"({"config_data": {}})");
  EXPECT_EQ(reply.status, 400);
  EXPECT_THAT(reply.body, HasSubstr("is not a service name"));
  EXPECT_EQ(get("/config/bad%20name").status, 400);
}

TEST_P(ConfigApi, AWatchAnswersAtOnceWhenItsRevisionIsAlreadyOld) {
  update("/config/svc", R"({"a": 1})");
  const Json answer = json_of(get("/config/svc/watch?index=0&wait=30"));
  EXPECT_EQ(answer["changed"], true);
  EXPECT_EQ(answer["version"], 1);
}

TEST_P(ConfigApi, AWatchWithNothingNewAnswersUnchangedAtTheEndOfItsWait) {
  const Json current = update("/config/svc", R"({"a": 1})");
  const auto started = std::chrono::steady_clock::now();
  const Json answer = json_of(get("/config/svc/watch?index=" + std::to_string(current["revision"].get<int>()) + "&wait=0.3"));
  EXPECT_GE(std::chrono::steady_clock::now() - started, 300ms);
  EXPECT_EQ(answer["changed"], false);
  EXPECT_EQ(answer["revision"], current["revision"]);
}

TEST_P(ConfigApi, AnUpdateAndARollbackEachReachAWaitingWatcher) {
  const Json first = update("/config/svc", R"({"a": 1})");
  const int revision = first["revision"];
  auto watcher =
      std::async(std::launch::async, [&] { return json_of(get("/config/svc/watch?index=" + std::to_string(revision) + "&wait=30")); });
  const Json second = update("/config/svc", R"({"a": 2})");
  const Json woken = watcher.get();
  EXPECT_EQ(woken["changed"], true);
  EXPECT_EQ(woken["version"], 2);
  EXPECT_EQ(woken["revision"], second["revision"]);

  auto rollback_watcher = std::async(std::launch::async, [&] {
    return json_of(get("/config/svc/watch?index=" + std::to_string(second["revision"].get<int>()) + "&wait=30"));
  });
  ASSERT_EQ(post("/config/svc/rollback", R"({"version": 1})").status, 200);
  const Json rolled = rollback_watcher.get();
  EXPECT_EQ(rolled["changed"], true);
  EXPECT_EQ(rolled["version"], 1);
  EXPECT_EQ(rolled["config"]["a"], 1);
}

TEST_P(ConfigApi, AGlobalChangeWakesTheWatchersOfEveryService) {
  std::vector<std::future<Json>> watchers;
  for (int i = 0; i < 20; ++i)
    watchers.push_back(std::async(std::launch::async,
                                  [this, i] { return json_of(get("/config/service-" + std::to_string(i) + "/watch?index=0&wait=30")); }));
  update("/global-config", R"({"region": "eu"})");
  for (auto& watcher : watchers) {
    const Json answer = watcher.get();
    EXPECT_EQ(answer["changed"], true);
    EXPECT_EQ(answer["global_version"], 1);
    EXPECT_EQ(answer["config"]["region"], "eu");
  }
}

TEST_P(ConfigApi, AChangeToOneServiceLeavesTheWatchersOfAnotherWaiting) {
  update("/config/a", R"({"x": 1})");
  const int b_revision = json_of(get("/config/b"))["revision"];
  auto b_watcher =
      std::async(std::launch::async, [&] { return json_of(get("/config/b/watch?index=" + std::to_string(b_revision) + "&wait=0.5")); });
  update("/config/a", R"({"x": 2})");
  EXPECT_EQ(b_watcher.get()["changed"], false);
}

TEST_P(ConfigApi, WatchParametersAreChecked) {
  EXPECT_EQ(json_of(get("/config/svc/watch?wait=abc"))["message"], "wait: \"abc\" is not a number of seconds above 0 and up to 300");
  EXPECT_EQ(get("/config/svc/watch?wait=301").status, 400);
  EXPECT_EQ(get("/config/svc/watch?wait=0").status, 400);
  EXPECT_EQ(json_of(get("/config/svc/watch?index=-1"))["message"], "index: \"-1\" is not a whole number from 0");
}

TEST_P(ConfigApi, ChangesArePublishedOnTheEventBusPerService) {
  std::vector<hub::Event> seen;
  std::mutex mutex;
  std::condition_variable arrived;
  const uint64_t subscription = (*hub_)->events().subscribe([&](const hub::Event& event) {
    std::lock_guard lock(mutex);
    if (event.topic.rfind("config.", 0) == 0) seen.push_back(event);
    arrived.notify_all();
  });
  update("/config/svc", R"({"a": 1})");
  update("/global-config", R"({"g": true})");
  {
    // Published after the acknowledgement, off the writer's thread.
    std::unique_lock lock(mutex);
    arrived.wait_for(lock, 10s, [&] { return seen.size() >= 3; });
  }
  (*hub_)->events().unsubscribe(subscription);  // before `seen` goes
  std::lock_guard lock(mutex);
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0].topic, "config.svc");
  EXPECT_EQ(Json::parse(seen[0].json)["config"], Json::parse(R"({"a": 1})"));
  EXPECT_EQ(seen[1].topic, "config._global");
  EXPECT_EQ(seen[2].topic, "config.svc");
  EXPECT_EQ(Json::parse(seen[2].json)["config"], Json::parse(R"({"a": 1, "g": true})"));
  EXPECT_EQ(Json::parse(seen[2].json)["action"], "update");
}

}  // namespace
