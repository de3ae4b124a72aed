// The config store through its own interface: versions, refusals and their
// reasons, rollbacks, retention and watches, on memory storage.
#include "config/config_store.hpp"
#include "basics/logging.hpp"
#include "storage/group_commit.hpp"
#include "storage/storage.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <vector>

namespace {

using hub::Code;
using hub::config::Json;

class ConfigStoreTest : public ::testing::Test {
 protected:
  hub::ConfigManagementSettings settings() {
    hub::ConfigManagementSettings settings;
    settings.retention_versions = 2;
    return settings;
  }
  hub::ManualClock clock;
  hub::EventBus events;
  std::unique_ptr<hub::Storage> storage = hub::open_memory_storage();
  hub::GroupCommit writes{*storage};
  hub::config::ConfigStore store{*storage, writes, settings(), clock, events, hub::make_logger({.level = "off"}, "test")};
};

TEST_F(ConfigStoreTest, EachUpdateIsANewActiveVersionLaidOverTheGlobalConfig) {
  ASSERT_TRUE(store.update(hub::kGlobalConfigScope, Json{{"region", "eu"}, {"limits", {{"rps", 10}}}}, "ops").refusal.ok());
  const auto saved = store.update("pricing", Json{{"limits", {{"burst", 5}}}}, "ops");
  ASSERT_TRUE(saved.refusal.ok()) << saved.refusal.message();
  EXPECT_EQ(saved.version, 1);
  const auto effective = store.effective("pricing");
  EXPECT_EQ(effective.version, 1);
  EXPECT_EQ(effective.global_version, 1);
  EXPECT_EQ(effective.config, (Json{{"region", "eu"}, {"limits", {{"rps", 10}, {"burst", 5}}}}));
  EXPECT_EQ(store.revision_of("pricing"), saved.revision);
}

TEST_F(ConfigStoreTest, ARefusedConfigSaysWhyAndStoresNothing) {
  const auto secret = store.update("pricing", Json{{"db", {{"password", "x"}}}}, "ops");
  EXPECT_EQ(secret.refusal.code(), Code::invalid_argument);
  EXPECT_EQ(secret.refusal.reason(), "secret_in_config");
  EXPECT_EQ(secret.refusal.message().rfind("config_data.db.password:", 0), 0u);
  const auto not_object = store.update("pricing", Json::array(), "ops");
  EXPECT_EQ(not_object.refusal.reason(), "invalid_config");
  EXPECT_FALSE(store.history("pricing", 10));
}

TEST_F(ConfigStoreTest, RollbacksAndVersionsSayWhatIsWrongPrecisely) {
  for (int i = 1; i <= 4; ++i) ASSERT_TRUE(store.update("pricing", Json{{"n", i}}, "ops").refusal.ok());
  hub::ConfigVersion found;
  EXPECT_EQ(store.version("pricing", 9, found).reason(), "no_such_version");
  EXPECT_EQ(store.version("pricing", 1, found).reason(), "version_pruned");  // two kept besides the active one
  ASSERT_TRUE(store.version("pricing", 3, found).ok());
  EXPECT_EQ(Json::parse(found.content), (Json{{"n", 3}}));
  EXPECT_EQ(store.rollback("pricing", 4, "ops").refusal.reason(), "already_active");
  const auto back = store.rollback("pricing", 3, "ops");
  ASSERT_TRUE(back.refusal.ok());
  EXPECT_EQ(store.effective("pricing").config, (Json{{"n", 3}}));
}

TEST_F(ConfigStoreTest, AWatchEndsAtTheChangeAndNotBefore) {
  std::mutex mutex;
  std::condition_variable answered;
  int answers = 0;
  bool changed = false;
  const int64_t known = store.revision_of("pricing");
  store.watch("pricing", known, std::chrono::seconds(30), [&](bool did) {
    std::lock_guard lock(mutex);
    changed = did;
    ++answers;
    answered.notify_all();
  });
  {
    std::lock_guard lock(mutex);
    EXPECT_EQ(answers, 0);
  }
  EXPECT_EQ(store.watching(), 1u);
  ASSERT_TRUE(store.update("pricing", Json{{"n", 1}}, "ops").refusal.ok());
  // Woken after the update was acknowledged, on the timer's thread rather than the writer's.
  std::unique_lock lock(mutex);
  ASSERT_TRUE(answered.wait_for(lock, std::chrono::seconds(10), [&] { return answers > 0; }));
  EXPECT_EQ(answers, 1);
  EXPECT_TRUE(changed);
  EXPECT_EQ(store.watching(), 0u);
}

// Events go out on the timer's thread after the acknowledgements, yet each carries the config as
// of its own change: here the timer's thread is held at the first event until two more changes are
// acknowledged, and the events after it still say what their changes made.
TEST_F(ConfigStoreTest, EachEventCarriesTheConfigAsOfItsChangeHoweverLateItIsPublished) {
  std::mutex mutex;
  std::condition_variable changed;
  bool release = false;
  std::vector<Json> seen;
  const uint64_t id = events.subscribe(
      [&](const hub::Event& event) {
        std::unique_lock lock(mutex);
        seen.push_back(Json::parse(event.json));
        changed.notify_all();
        if (seen.size() == 1) changed.wait(lock, [&] { return release; });
      },
      {"config."});
  ASSERT_TRUE(store.update("pricing", Json{{"n", 1}}, "ops").refusal.ok());
  {
    std::unique_lock lock(mutex);
    ASSERT_TRUE(changed.wait_for(lock, std::chrono::seconds(10), [&] { return seen.size() == 1; }));
  }
  ASSERT_TRUE(store.update("pricing", Json{{"n", 2}}, "ops").refusal.ok());
  ASSERT_TRUE(store.update("pricing", Json{{"n", 3}}, "ops").refusal.ok());
  {
    std::unique_lock lock(mutex);
    release = true;
    changed.notify_all();
    ASSERT_TRUE(changed.wait_for(lock, std::chrono::seconds(10), [&] { return seen.size() == 3; }));
    for (int i = 0; i < 3; ++i) {
      EXPECT_EQ(seen[static_cast<size_t>(i)]["version"], i + 1);
      EXPECT_EQ(seen[static_cast<size_t>(i)]["config"]["n"], i + 1);
    }
  }
  events.unsubscribe(id);
}

}  // namespace
