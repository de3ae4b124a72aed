// Snapshots on every backend: GET /snapshot of a hub with instances, configs and a circuit; restored
// into an empty store it reads back the same, and a hub started on it serves it; a corrupted or cut
// snapshot is refused by its checksum before anything of it is used; hubd's offline save and
// restore refuse to overwrite unless forced.
#include "support/registry_hub.hpp"
#include "support/scratch_storage.hpp"

#include "backups/snapshot.hpp"
#include "storage/storage.hpp"

#include <hub/snapshot_admin.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <thread>

namespace hub {
namespace {

using Json = nlohmann::json;
using testing::Backend;

std::unique_ptr<Storage> open(const testing::ScratchStore& scratch) {
  return testing::open_scratch(scratch);
}

class Snapshots : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    HUB_NEED_BACKEND(GetParam());
    scratch_ = std::make_unique<testing::ScratchStore>(GetParam());
  }
  // A hub with two services, a config in three versions (one rolled back to) and the global one.
  std::string fill_and_snapshot(testing::TestHub& hub) {
    for (int i = 1; i <= 3; ++i)
      EXPECT_EQ(hub.post("/register", Json{{"service_name", "pricing"},
                                           {"host", "10.0.0." + std::to_string(i)},
                                           {"port", 8001},
                                           {"version", "v1"},
                                           {"tags", {"eu"}},
                                           {"metadata", {{"zone", "a"}}}}
                                          .dump())
                    .status,
                201);
    EXPECT_EQ(hub.post("/register", Json{{"service_name", "orders"}, {"host", "10.0.1.1"}, {"port", 9000}}.dump()).status, 201);
    for (int v = 1; v <= 3; ++v) EXPECT_EQ(hub.post("/config/pricing", Json{{"config_data", {{"spread", v}}}}.dump()).status, 201);
    EXPECT_EQ(hub.post("/config/pricing/rollback", Json{{"version", 2}}.dump()).status, 200);
    EXPECT_EQ(hub.post("/global-config", Json{{"config_data", {{"region", "eu"}}}}.dump()).status, 201);
    const HttpReply snapshot = hub.get("/snapshot");
    EXPECT_EQ(snapshot.status, 200);
    return snapshot.body;
  }
  std::unique_ptr<testing::ScratchStore> scratch_;
};

TEST_P(Snapshots, ASnapshotRestoredIntoAnEmptyStoreReadsBackTheSameAndAHubServesIt) {
  std::string bytes;
  {
    testing::TestHub hub(testing::registry_options(testing::kLiveness, nullptr, scratch_->yaml()));
    bytes = fill_and_snapshot(hub);
  }
  backups::SnapshotInfo info;
  const StoredState state = backups::read_snapshot(bytes, &info);
  EXPECT_EQ(info.instances, 4u);
  EXPECT_EQ(info.config_versions, 4u);  // three of pricing's and the global one
  EXPECT_EQ(state.config_changes.size(), 5u);
  EXPECT_NO_THROW(backups::verify_snapshot(bytes));

  testing::ScratchStore empty(GetParam());
  {
    const std::unique_ptr<Storage> restored = open(empty);
    restored->import_state(state);
  }
  const std::unique_ptr<Storage> reopened = GetParam() == Backend::memory ? nullptr : open(empty);
  if (reopened) {
    EXPECT_EQ(backups::state_body(reopened->export_state()), backups::state_body(state));
  }
  if (GetParam() == Backend::memory) return;  // a hub on memory storage starts empty by design
  testing::TestHub restored(testing::registry_options(testing::kLiveness, nullptr, empty.yaml()));
  EXPECT_EQ(Json::parse(restored.get("/services/pricing").body)["instances"].size(), 3u);
  const Json config = Json::parse(restored.get("/config/pricing").body);
  EXPECT_EQ(config["version"], 2);
  EXPECT_EQ(config["config"]["spread"], 2);
  EXPECT_EQ(config["config"]["region"], "eu");
  const int64_t revision = config["revision"];
  const Json next = Json::parse(restored.post("/config/pricing", Json{{"config_data", {{"spread", 4}}}}.dump()).body);
  EXPECT_GT(next["revision"].get<int64_t>(), revision) << "revisions go on from the restored ones: watchers compare them";
  EXPECT_EQ(next["version"], 4);
}

TEST_P(Snapshots, AnotherWriteChangesTheSnapshotAndItsChecksum) {
  testing::TestHub hub(testing::registry_options(testing::kLiveness, nullptr, scratch_->yaml()));
  const std::string first = fill_and_snapshot(hub);
  ASSERT_EQ(hub.post("/deregister", Json{{"service_name", "orders"}, {"instance_id", "10.0.1.1:9000"}}.dump()).status, 200);
  backups::SnapshotInfo before, after;
  backups::read_snapshot(first, &before);
  backups::read_snapshot(hub.get("/snapshot").body, &after);
  EXPECT_EQ(after.instances, 3u);
  EXPECT_NE(after.sha256, before.sha256);
}

TEST_P(Snapshots, AnEmptyRunningHubTakesASnapshotAndItsWatchersSeeTheReset) {
  std::string bytes;
  {
    testing::TestHub source(testing::registry_options(testing::kLiveness, nullptr, scratch_->yaml()));
    bytes = fill_and_snapshot(source);
  }
  testing::ScratchStore empty(GetParam());
  testing::TestHub hub(testing::registry_options(testing::kLiveness, nullptr, empty.yaml()));
  HttpReply watched;
  std::thread watcher([&] { watched = hub.get("/config/pricing/watch?index=0&wait=20"); });
  ASSERT_TRUE([&] {  // the watch is parked before the restore
    for (int i = 0; i < 500; ++i) {
      if (hub.get("/metrics").body.find("\nhub_config_watchers 1") != std::string::npos) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));  // polling the hub's gauge, bounded
    }
    return false;
  }());
  EXPECT_EQ(hub.post("/snapshot/restore", "central-hub-snapshot 1\n{}\n").status, 400);
  std::string corrupted = bytes;
  corrupted[corrupted.size() - 10] ^= 0x01;
  const HttpReply refused = hub.post("/snapshot/restore", corrupted);
  EXPECT_EQ(refused.status, 400);
  EXPECT_NE(refused.body.find("SHA-256"), std::string::npos) << refused.body;
  const HttpReply restored = hub.post("/snapshot/restore", bytes);
  ASSERT_EQ(restored.status, 200) << restored.body;
  watcher.join();
  EXPECT_EQ(watched.status, 200);
  EXPECT_TRUE(Json::parse(watched.body)["changed"].get<bool>()) << watched.body;
  EXPECT_EQ(Json::parse(watched.body)["config"]["spread"], 2);
  EXPECT_EQ(Json::parse(hub.get("/services/pricing").body)["instances"].size(), 3u);
  EXPECT_EQ(Json::parse(hub.get("/config/pricing").body)["version"], 2);
  const HttpReply again = hub.post("/snapshot/restore", bytes);
  EXPECT_EQ(again.status, 409) << "a hub that holds something is not overwritten while it runs";
  EXPECT_NE(again.body.find("--force"), std::string::npos) << again.body;
  EXPECT_EQ(hub.post("/snapshot/restore?force=true", bytes).status, 409);
}

INSTANTIATE_TEST_SUITE_P(Backends, Snapshots, testing::kAllBackends, testing::backend_label);

TEST(SnapshotFile, ACorruptedOrCutSnapshotIsRefusedByItsChecksum) {
  StoredState state;
  InstanceRecord record;
  record.service_name = "pricing";
  record.instance_id = "a";
  state.instances.push_back(record);
  const std::string bytes = backups::write_snapshot(state, 1'800'000'000'000'000, "0.1.0");
  EXPECT_NO_THROW(backups::verify_snapshot(bytes));
  const auto refused = [](const std::string& bad, const std::string& says) {
    try {
      backups::read_snapshot(bad);
      ADD_FAILURE() << "read a bad snapshot: " << says;
    } catch (const backups::SnapshotError& error) {
      EXPECT_NE(std::string(error.what()).find(says), std::string::npos) << error.what();
    }
  };
  std::string flipped = bytes;
  flipped[flipped.size() - 20] ^= 0x01;
  refused(flipped, "SHA-256");
  refused(bytes.substr(0, bytes.size() - 5), "cut short");
  refused(bytes + "x", "cut short or added to");
  refused("PK\x03\x04 a zip", "not a Central Hub snapshot");
  std::string future = bytes;
  future.replace(future.find(" 1\n"), 3, " 2\n");
  refused(future, "format 2");
  refused(bytes.substr(0, bytes.find('\n') + 5), "header line");
}

TEST(SnapshotAdmin, SaveThenRestoreOfflineRefusingToOverwriteUnlessForced) {
  testing::ScratchStore source(Backend::sqlite), target(Backend::sqlite);
  {
    testing::TestHub hub(testing::registry_options(testing::kLiveness, nullptr, source.yaml()));
    ASSERT_EQ(hub.post("/register", Json{{"service_name", "pricing"}, {"host", "10.0.0.1"}, {"port", 8001}}.dump()).status, 201);
  }
  const auto manifest = [](const testing::ScratchStore& store) {
    return testing::registry_options(testing::kLiveness, nullptr, store.yaml()).manifest;
  };
  const std::filesystem::path file = source.file().string() + ".snapshot";
  const SnapshotSummary saved = save_snapshot(manifest(source), file);
  EXPECT_EQ(saved.instances, 1u);
  EXPECT_FALSE(std::filesystem::exists(file.string() + ".partial"));
  EXPECT_EQ(restore_snapshot(manifest(target), file, false).sha256, saved.sha256);
  EXPECT_THROW(restore_snapshot(manifest(target), file, false), std::runtime_error) << "the target holds it now";
  EXPECT_NO_THROW(restore_snapshot(manifest(target), file, true));
  {
    std::fstream corrupt(file, std::ios::in | std::ios::out | std::ios::binary);
    corrupt.seekp(-3, std::ios::end);
    corrupt.put('#');
  }
  EXPECT_THROW(restore_snapshot(manifest(target), file, true), std::runtime_error);
  EXPECT_EQ(open(target)->export_state().instances.size(), 1u) << "a refused restore changed nothing";
  std::filesystem::remove(file);
}

}  // namespace
}  // namespace hub
