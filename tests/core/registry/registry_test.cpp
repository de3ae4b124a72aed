// The registry through its own interface: what each write answers, what it
// stores, and how its Version tells readers that something changed.
#include "registry/registry.hpp"
#include "storage/group_commit.hpp"
#include "storage/storage.hpp"

#include <hub/errors.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>

namespace {

using hub::Code;
using hub::InstanceRecord;

InstanceRecord instance(const std::string& service, const std::string& id) {
  InstanceRecord record;
  record.service_name = service;
  record.instance_id = id;
  record.host = "10.0.0.1";
  record.port = 8001;
  return record;
}

// Storage that refuses every write once told to, as a lost database does.
class RefusingStore final : public hub::WriteStore {
 public:
  explicit RefusingStore(hub::WriteStore& inner) : inner_(inner) {}
  std::atomic<bool> refusing{false};
  std::atomic<int> saved{0}, deleted{0};  // writes that went through
  void save_writes(std::vector<hub::Write>& writes) override {
    if (refusing) throw hub::StorageError("the database is away");
    inner_.save_writes(writes);
    for (const hub::Write& write : writes) {
      saved += std::holds_alternative<InstanceRecord>(write.change);
      deleted += std::holds_alternative<hub::InstanceRemoval>(write.change);
    }
  }

 private:
  hub::WriteStore& inner_;
};

class RegistryTest : public ::testing::Test {
 protected:
  std::shared_ptr<hub::ManualClock> clock = std::make_shared<hub::ManualClock>();
  hub::EventBus events;
  std::unique_ptr<hub::Storage> storage = hub::open_memory_storage();
  RefusingStore store{*storage};
  hub::GroupCommit writes{store};
  hub::Registry registry{clock, *storage, writes, events};
};

TEST_F(RegistryTest, RegisteringStoresTheInstanceAndRegisteringAgainKeepsItsRegistrationTime) {
  const auto first = registry.register_instance(instance("pricing", "a"));
  ASSERT_TRUE(first.status.ok()) << first.status.message();
  EXPECT_TRUE(first.created);
  EXPECT_EQ(first.instance.status, "healthy");
  clock->advance(std::chrono::seconds(5));
  const auto again = registry.register_instance(instance("pricing", "a"));
  EXPECT_FALSE(again.created);
  EXPECT_EQ(again.instance.registered_at_unix_us, first.instance.registered_at_unix_us);
  EXPECT_EQ(store.saved, 2);
}

TEST_F(RegistryTest, ARefusedWriteSaysSoAndChangesNothing) {
  ASSERT_TRUE(registry.register_instance(instance("pricing", "a")).status.ok());
  store.refusing = true;
  const auto registered = registry.register_instance(instance("pricing", "b"));
  EXPECT_EQ(registered.status.code(), Code::unavailable);
  EXPECT_EQ(registered.status.reason(), "storage_unavailable");
  EXPECT_NE(registered.status.message().find("the database is away"), std::string::npos);
  EXPECT_EQ(registry.service("pricing")->size(), 1u);
  EXPECT_EQ(store.saved, 1);

  const auto beat = registry.heartbeat("pricing", "a", "degraded", {});
  EXPECT_EQ(beat.status.code(), Code::unavailable);
  EXPECT_EQ(registry.service_status("pricing"), "healthy");

  const auto removed = registry.deregister("pricing", "a");
  EXPECT_EQ(removed.status.code(), Code::unavailable);
  EXPECT_TRUE(registry.knows("pricing"));
}

TEST_F(RegistryTest, AHeartbeatNamesWhatItCouldNotFind) {
  ASSERT_TRUE(registry.register_instance(instance("pricing", "a")).status.ok());
  ASSERT_TRUE(registry.register_instance(instance("pricing", "b")).status.ok());
  EXPECT_EQ(registry.heartbeat("nobody", "", "healthy", {}).status.code(), Code::not_found);
  const auto unknown = registry.heartbeat("pricing", "z", "healthy", {});
  EXPECT_EQ(unknown.status.code(), Code::not_found);
  EXPECT_NE(unknown.status.message().find("\"z\" is not an instance of \"pricing\""), std::string::npos);
  const auto ambiguous = registry.heartbeat("pricing", "", "healthy", {});
  EXPECT_EQ(ambiguous.status.code(), Code::invalid_argument);
  EXPECT_NE(ambiguous.status.message().find("has several instances"), std::string::npos);
}

TEST_F(RegistryTest, OnlyAHeartbeatThatChangesTheServedStatusStores) {
  ASSERT_TRUE(registry.register_instance(instance("pricing", "a")).status.ok());
  EXPECT_FALSE(registry.heartbeat_stores("pricing", "a", "healthy"));
  EXPECT_TRUE(registry.heartbeat_stores("pricing", "a", "degraded"));
  const auto beat = registry.heartbeat("pricing", "a", "degraded", {{"cpu", 0.5}});
  ASSERT_TRUE(beat.status.ok());
  EXPECT_EQ(beat.previous, "healthy");
  EXPECT_EQ(beat.served, "degraded");
  EXPECT_FALSE(registry.heartbeat_stores("pricing", "a", "degraded"));
  // A down verdict from a health check outweighs the instance's own word: it stays down.
  ASSERT_TRUE(registry.set_probe_status("pricing", "a", "down"));
  EXPECT_FALSE(registry.heartbeat_stores("pricing", "a", "healthy"));
  EXPECT_EQ(registry.heartbeat("pricing", "a", "healthy", {}).served, "down");
}

TEST_F(RegistryTest, TheVersionMovesWithChangesAndHeartbeatsApart) {
  ASSERT_TRUE(registry.register_instance(instance("pricing", "a")).status.ok());
  EXPECT_FALSE(registry.version("nobody"));
  const hub::Registry::Version registered = *registry.version("pricing");
  ASSERT_TRUE(registry.heartbeat("pricing", "a", "healthy", {}).status.ok());
  const hub::Registry::Version beaten = *registry.version("pricing");
  EXPECT_EQ(beaten.generation, registered.generation);
  EXPECT_GT(beaten.beats, registered.beats);
  ASSERT_TRUE(registry.heartbeat("pricing", "a", "degraded", {}).status.ok());
  EXPECT_GT(registry.version("pricing")->generation, beaten.generation);
  // Another service's change moves the structure (dependents span services), not this generation.
  const hub::Registry::Version before = *registry.version("pricing");
  ASSERT_TRUE(registry.register_instance(instance("orders", "a")).status.ok());
  EXPECT_EQ(registry.version("pricing")->generation, before.generation);
  EXPECT_GT(registry.version("pricing")->structure, before.structure);
}

TEST_F(RegistryTest, ASnapshotHoldsTheInstancesInIdOrderWithTheirVersion) {
  for (const char* id : {"c", "a", "b"}) ASSERT_TRUE(registry.register_instance(instance("pricing", id)).status.ok());
  const auto snapshot = registry.snapshot("pricing");
  ASSERT_TRUE(snapshot);
  ASSERT_EQ(snapshot->instances.size(), 3u);
  EXPECT_EQ(snapshot->instances[0].instance_id, "a");
  EXPECT_EQ(snapshot->instances[2].instance_id, "c");
  EXPECT_EQ(snapshot->version, *registry.version("pricing"));
}

TEST_F(RegistryTest, DeregisteringTheLastInstanceForgetsTheService) {
  ASSERT_TRUE(registry.register_instance(instance("pricing", "a")).status.ok());
  const auto removed = registry.deregister("pricing", "");
  ASSERT_TRUE(removed.status.ok());
  EXPECT_EQ(removed.instance_id, "a");
  EXPECT_EQ(removed.remaining, 0u);
  EXPECT_FALSE(registry.knows("pricing"));
  EXPECT_EQ(store.deleted, 1);
  EXPECT_EQ(registry.deregister("pricing", "a").status.code(), Code::not_found);
}

// Heartbeat storage that records what it was handed and can refuse one call.
class HeartbeatStore final : public hub::RegistryStore {
 public:
  int refuse_call = 0;  // 1-based; 0 never
  std::vector<size_t> samples_per_call;
  void save_heartbeats(const std::vector<hub::HeartbeatMark>&, const std::vector<hub::MetricSample>& samples) override {
    samples_per_call.push_back(samples.size());
    if (static_cast<int>(samples_per_call.size()) == refuse_call) throw hub::StorageError("the database is away");
  }
  std::vector<InstanceRecord> load_instances() override { return {}; }
};

TEST(RegistryHeartbeats, ABacklogIsStoredAChunkATimeAndWhatFailedIsKeptForTheNextFlush) {
  auto clock = std::make_shared<hub::ManualClock>();
  hub::EventBus events;
  std::unique_ptr<hub::Storage> storage = hub::open_memory_storage();
  hub::GroupCommit writes{*storage};
  HeartbeatStore heartbeats;
  hub::Registry registry{clock, heartbeats, writes, events};
  ASSERT_TRUE(registry.register_instance(instance("pricing", "a")).status.ok());
  for (int beat = 0; beat < 10'000; ++beat) ASSERT_TRUE(registry.heartbeat("pricing", "a", "healthy", {{"cpu", 0.5}}).status.ok());
  heartbeats.refuse_call = 2;
  EXPECT_THROW(registry.flush_heartbeats(), hub::StorageError);
  EXPECT_THAT(heartbeats.samples_per_call, testing::ElementsAre(4096u, 4096u));
  registry.flush_heartbeats();  // the refused chunk and the one after it
  EXPECT_THAT(heartbeats.samples_per_call, testing::ElementsAre(4096u, 4096u, 4096u, 1808u));
}

}  // namespace
