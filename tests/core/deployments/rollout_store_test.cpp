// Rollouts in storage, on every backend: a row per rollout replaced at each change, read back
// oldest first, one active rollout per service, and ended ones deleted.
#include "support/scratch_storage.hpp"

#include "storage/storage.hpp"

#include <hub/errors.hpp>

#include <gtest/gtest.h>

namespace hub {
namespace {

using testing::Backend;

class RolloutStorage : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    HUB_NEED_BACKEND(GetParam());
    scratch_ = std::make_unique<testing::ScratchStore>(GetParam());
    storage_ = open();
  }
  std::unique_ptr<Storage> open() const { return testing::open_scratch(*scratch_); }
  std::unique_ptr<testing::ScratchStore> scratch_;
  std::unique_ptr<Storage> storage_;
};

constexpr int64_t kAt = 1'800'000'000'000'000;

TEST_P(RolloutStorage, KeepsTheLatestDocumentOfEachOldestFirst) {
  storage_->save_rollout({"dep-b", "pricing", "progressing", R"({"step":0})", kAt + 2'000'000, kAt + 2'000'000});
  storage_->save_rollout({"dep-a", "trading", "progressing", R"({"step":0})", kAt, kAt});
  storage_->save_rollout({"dep-a", "trading", "succeeded", R"({"step":3})", kAt, kAt + 9'000'000});
  const std::vector<RolloutRecord> rows = GetParam() == Backend::memory ? storage_->load_rollouts() : open()->load_rollouts();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].id, "dep-a");
  EXPECT_EQ(rows[0].phase, "succeeded");
  EXPECT_EQ(rows[0].document, R"({"step":3})");
  EXPECT_EQ(rows[0].created_at_unix_us, kAt);
  EXPECT_EQ(rows[0].updated_at_unix_us, kAt + 9'000'000);
  EXPECT_EQ(rows[1].id, "dep-b");
}

TEST_P(RolloutStorage, RefusesASecondActiveRolloutOfAServiceAndKeepsTheFirst) {
  storage_->save_rollout({"dep-a", "trading", "progressing", "{}", kAt, kAt});
  EXPECT_THROW(storage_->save_rollout({"dep-b", "trading", "paused", "{}", kAt + 1, kAt + 1}), StorageError);
  storage_->save_rollout({"dep-c", "pricing", "progressing", "{}", kAt, kAt});  // another service: fine
  storage_->save_rollout({"dep-a", "trading", "rolled_back", "{}", kAt, kAt + 5});
  storage_->save_rollout({"dep-b", "trading", "progressing", "{}", kAt + 1, kAt + 1});  // the first ended: now fine
  EXPECT_EQ(storage_->load_rollouts().size(), 3u);
}

TEST_P(RolloutStorage, DeletesTheRolloutsNamed) {
  for (const char* id : {"dep-1", "dep-2", "dep-3"}) storage_->save_rollout({id, "trading", "succeeded", "{}", kAt, kAt});
  storage_->delete_rollouts({"dep-1", "dep-3", "dep-unknown"});
  const std::vector<RolloutRecord> rows = storage_->load_rollouts();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].id, "dep-2");
}

INSTANTIATE_TEST_SUITE_P(Backends, RolloutStorage, testing::kAllBackends, testing::backend_label);

}  // namespace
}  // namespace hub
