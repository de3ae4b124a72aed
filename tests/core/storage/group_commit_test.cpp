// Group commit: writes that arrive while a group is being stored share the
// next transaction; a write storage refuses fails alone; a transaction that
// cannot commit fails its whole group; writes of one key are planned one after
// another; and on every backend a constraint breaks one write of a group, not
// the group.
#include "storage/group_commit.hpp"
#include "storage/storage.hpp"

#include <hub/errors.hpp>

#include "support/storage_backend.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <vector>

namespace {

using hub::Code;
using hub::GroupCommit;
using hub::Write;
using testing::ElementsAre;
using testing::HasSubstr;

constexpr auto kDeadline = std::chrono::seconds(10);

hub::InstanceRecord instance(const std::string& id) {
  hub::InstanceRecord record;
  record.service_name = "pricing";
  record.instance_id = id;
  record.host = "10.0.0.1";
  record.port = 8001;
  return record;
}

// Storage that can hold the first group until released, refuse chosen instances, or fail whole
// transactions; it records the size of every group it was handed.
class ScriptedStore final : public hub::WriteStore {
 public:
  void save_writes(std::vector<Write>& writes) override {
    std::unique_lock lock(mutex_);
    groups_.push_back(writes.size());
    changed_.notify_all();
    changed_.wait(lock, [&] { return !holding_; });
    if (failing_) throw hub::StorageError("the disk is full");
    for (Write& write : writes)
      if (auto* record = std::get_if<hub::InstanceRecord>(&write.change); record && record->instance_id == refused_)
        write.outcome = hub::write_refused("CHECK constraint failed: " + refused_);
  }
  void hold() {
    std::lock_guard lock(mutex_);
    holding_ = true;
  }
  void release() {
    std::lock_guard lock(mutex_);
    holding_ = false;
    changed_.notify_all();
  }
  void refuse(const std::string& id) {
    std::lock_guard lock(mutex_);
    refused_ = id;
  }
  void fail() {
    std::lock_guard lock(mutex_);
    failing_ = true;
  }
  // Waits until `count` groups have reached storage; false at the deadline.
  bool wait_for_groups(size_t count) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, kDeadline, [&] { return groups_.size() >= count; });
  }
  std::vector<size_t> groups() {
    std::lock_guard lock(mutex_);
    return groups_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  bool holding_ = false;
  bool failing_ = false;
  std::string refused_;
  std::vector<size_t> groups_;
};

// What the writes' `stored` callbacks saw, in the order they ran.
class Outcomes {
 public:
  GroupCommit::Stored record(const std::string& name) {
    return [this, name](Write& write) {
      std::lock_guard lock(mutex_);
      log_.push_back(name +
                     (write.outcome ? " " + std::string(hub::code_name(write.outcome.code())) + " " + write.outcome.reason() : " ok"));
      changed_.notify_all();
    };
  }
  void note(const std::string& what) {
    std::lock_guard lock(mutex_);
    log_.push_back(what);
    changed_.notify_all();
  }
  std::vector<std::string> wait_for(size_t count) {
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, kDeadline, [&] { return log_.size() >= count; });
    return log_;
  }
  std::string find(const std::string& prefix) {
    std::lock_guard lock(mutex_);
    for (const std::string& line : log_)
      if (line.rfind(prefix + " ", 0) == 0) return line;
    return "";
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::string> log_;
};

GroupCommit::Plan store_instance(const std::string& id, Outcomes& outcomes) {
  return [id, &outcomes]() -> std::optional<GroupCommit::Planned> {
    return GroupCommit::Planned{Write{instance(id)}, outcomes.record(id)};
  };
}

TEST(GroupCommit, WritesArrivingWhileAGroupIsStoredShareTheNextTransaction) {
  ScriptedStore store;
  GroupCommit commit(store);
  Outcomes outcomes;
  store.hold();
  commit.submit("first", store_instance("first", outcomes));
  ASSERT_TRUE(store.wait_for_groups(1));
  for (int i = 0; i < 10; ++i) commit.submit("w" + std::to_string(i), store_instance("w" + std::to_string(i), outcomes));
  store.release();
  ASSERT_EQ(outcomes.wait_for(11).size(), 11u);
  EXPECT_THAT(store.groups(), ElementsAre(1u, 10u));
  EXPECT_EQ(outcomes.find("w9"), "w9 ok");
  const GroupCommit::Figures figures = commit.figures();
  EXPECT_EQ(figures.groups, 2u);
  EXPECT_EQ(figures.writes, 11u);
  EXPECT_EQ(figures.largest, 10u);
}

TEST(GroupCommit, ALoneWriteIsStoredAtOnceWithoutWaitingForAGroupToFill) {
  ScriptedStore store;
  GroupCommit commit(store);
  Outcomes outcomes;
  commit.submit("only", store_instance("only", outcomes));
  EXPECT_THAT(outcomes.wait_for(1), ElementsAre("only ok"));
}

TEST(GroupCommit, AWriteStorageRefusesFailsAloneAndTheRestOfItsGroupIsStored) {
  ScriptedStore store;
  GroupCommit commit(store);
  Outcomes outcomes;
  store.refuse("bad");
  store.hold();
  commit.submit("first", store_instance("first", outcomes));
  ASSERT_TRUE(store.wait_for_groups(1));
  for (const char* id : {"a", "bad", "b"}) commit.submit(id, store_instance(id, outcomes));
  store.release();
  outcomes.wait_for(4);
  EXPECT_THAT(store.groups(), ElementsAre(1u, 3u));
  EXPECT_EQ(outcomes.find("a"), "a ok");
  EXPECT_EQ(outcomes.find("bad"), "bad aborted write_refused");
  EXPECT_EQ(outcomes.find("b"), "b ok");
}

TEST(GroupCommit, ATransactionThatCannotCommitFailsEveryWriteOfItsGroup) {
  ScriptedStore store;
  GroupCommit commit(store);
  Outcomes outcomes;
  store.fail();
  for (const char* id : {"a", "b"}) commit.submit(id, store_instance(id, outcomes));
  EXPECT_THAT(outcomes.wait_for(2), ElementsAre("a unavailable storage_unavailable", "b unavailable storage_unavailable"));
}

TEST(GroupCommit, WritesOfOneKeyArePlannedOneAfterAnotherOnWhatTheOneBeforeStored) {
  ScriptedStore store;
  GroupCommit commit(store);
  Outcomes outcomes;
  int stored_value = 0;  // the memory the plans read: written by `stored`, on the committing thread
  auto increment = [&](int step) {
    return [&, step]() -> std::optional<GroupCommit::Planned> {
      outcomes.note("plan " + std::to_string(step) + " sees " + std::to_string(stored_value));
      return GroupCommit::Planned{Write{instance("k")}, [&, step](Write&) {
                                    stored_value = step;
                                    outcomes.note("stored " + std::to_string(step));
                                  }};
    };
  };
  store.hold();
  commit.submit("k", increment(1));
  ASSERT_TRUE(store.wait_for_groups(1));
  commit.submit("k", increment(2));
  commit.submit("k", increment(3));
  commit.submit("other", store_instance("other", outcomes));  // another key plans at once
  EXPECT_THAT(outcomes.wait_for(1), ElementsAre("plan 1 sees 0"));
  store.release();
  // Plan 2 runs once write 1 is stored, and joins "other" in the next group.
  EXPECT_THAT(outcomes.wait_for(7),
              ElementsAre("plan 1 sees 0", "stored 1", "plan 2 sees 1", "other ok", "stored 2", "plan 3 sees 2", "stored 3"));
}

TEST(GroupCommit, APlanWithNothingToStoreLetsTheNextOfItsKeyRun) {
  ScriptedStore store;
  GroupCommit commit(store);
  Outcomes outcomes;
  store.hold();
  commit.submit("k", store_instance("k", outcomes));
  ASSERT_TRUE(store.wait_for_groups(1));
  commit.submit("k", [&]() -> std::optional<GroupCommit::Planned> {
    outcomes.note("nothing to store");
    return std::nullopt;
  });
  commit.submit("k", store_instance("k again", outcomes));
  store.release();
  EXPECT_THAT(outcomes.wait_for(3), ElementsAre("k ok", "nothing to store", "k again ok"));
}

TEST(GroupCommit, AfterStopAWriteFailsAtOnce) {
  ScriptedStore store;
  GroupCommit commit(store);
  Outcomes outcomes;
  commit.stop();
  commit.submit("late", store_instance("late", outcomes));
  EXPECT_THAT(outcomes.wait_for(1), ElementsAre("late unavailable storage_unavailable"));
  EXPECT_TRUE(store.groups().empty());
}

// The same group on each durable backend: the middle write adds a config version that already
// exists, which the UNIQUE (service_name, version) constraint refuses.
class GroupOnStorage : public testing::TestWithParam<hub::testing::Backend> {
 protected:
  void SetUp() override {
    HUB_NEED_BACKEND(GetParam());
    scratch_ = std::make_unique<hub::testing::ScratchStore>(GetParam());
    storage_ = GetParam() == hub::testing::Backend::sqlite ? hub::open_sqlite_storage(scratch_->file())
                                                           : hub::open_postgres_storage(scratch_->database()->settings());
    storage_->migrate(hub::migrations_for(storage_->backend()));
  }
  static Write config_version(const std::string& scope, int64_t version) {
    hub::ConfigWrite config;
    config.added = hub::ConfigVersion{scope, version, R"({"limit": 1})", "alice", 1'700'000'000'000'000, true};
    config.change = {0, scope, version, "update", "alice", 1'700'000'000'000'000};
    return Write{config};
  }
  std::unique_ptr<hub::testing::ScratchStore> scratch_;
  std::unique_ptr<hub::Storage> storage_;
};

TEST_P(GroupOnStorage, AConstraintBreaksOneWriteAndTheRestOfItsGroupCommits) {
  std::vector<Write> first{config_version("svc", 1)};
  storage_->save_writes(first);
  ASSERT_TRUE(first[0].outcome.ok()) << first[0].outcome.message();

  scratch_->refuse_configs_of("refused");
  std::vector<Write> group{config_version("svc", 2), config_version("refused", 1), Write{instance("a")}, config_version("other", 1)};
  storage_->save_writes(group);
  EXPECT_TRUE(group[0].outcome.ok()) << group[0].outcome.message();
  EXPECT_EQ(group[1].outcome.code(), Code::aborted);
  EXPECT_EQ(group[1].outcome.reason(), "write_refused");
  EXPECT_THAT(group[1].outcome.message(), testing::AnyOf(HasSubstr("refused by a rule of the database"), HasSubstr("refuse_refused")));
  EXPECT_TRUE(group[2].outcome.ok()) << group[2].outcome.message();
  EXPECT_TRUE(group[3].outcome.ok()) << group[3].outcome.message();
  EXPECT_LT(first[0].revision, group[0].revision);
  EXPECT_LT(group[0].revision, group[3].revision) << "revisions follow the order of the group";

  EXPECT_THAT(scratch_->column("SELECT version FROM service_configs WHERE service_name = 'svc' ORDER BY version"), ElementsAre("1", "2"));
  EXPECT_THAT(scratch_->column("SELECT service_name FROM config_changes ORDER BY revision"), ElementsAre("svc", "svc", "other"));
  EXPECT_THAT(scratch_->column("SELECT instance_id FROM service_registry"), ElementsAre("a"));
}

TEST_P(GroupOnStorage, ACommittedGroupIsWhatALoadReadsBack) {
  std::vector<Write> group{Write{instance("a")}, Write{instance("b")}, Write{hub::InstanceRemoval{"pricing", "a"}},
                           Write{hub::StatusChange{"pricing", "b", "down", 1'700'000'000'000'000}}};
  storage_->save_writes(group);
  for (const Write& write : group) EXPECT_TRUE(write.outcome.ok()) << write.outcome.message();
  const std::vector<hub::InstanceRecord> loaded = storage_->load_instances();
  ASSERT_EQ(loaded.size(), 1u);
  EXPECT_EQ(loaded[0].instance_id, "b");
  EXPECT_EQ(loaded[0].status, "down");
  EXPECT_EQ(loaded[0].down_since_unix_us, 1'700'000'000'000'000);
}

INSTANTIATE_TEST_SUITE_P(Backends, GroupOnStorage, testing::Values(hub::testing::Backend::sqlite, hub::testing::Backend::postgres),
                         hub::testing::backend_label);

}  // namespace
