// Backup jobs through a running hub: a command's output kept and pruned to `keep`, a failing job
// recorded and alerted, a job killed at its timeout, the hub's own verified snapshot, and each
// job's health turning degraded when its last success is too old.
#include "support/registry_hub.hpp"
#include "support/storage_backend.hpp"

#include "backups/snapshot.hpp"

#include <hub/errors.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace hub {
namespace {

using Json = nlohmann::json;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

bool eventually(const std::function<bool()>& done, std::chrono::milliseconds limit = 20s) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(20ms);  // polling the hub's answers, bounded by the deadline
  }
  return done();
}

class BackupJobsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    folder_ = fs::temp_directory_path() /
              ("hub-backups-" + std::to_string(::getpid()) + "-" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(folder_);
    fs::create_directories(folder_);
  }
  void TearDown() override {
    hub_.reset();
    fs::remove_all(folder_);
  }
  void start(const std::string& jobs, const std::string& storage = "{backend: memory}") {
    const std::string sections = "health_monitoring: {check_interval_seconds: 3600}\nbackups:\n  jobs:\n" + jobs;
    hub_ = std::make_unique<testing::TestHub>(testing::registry_options(testing::kLiveness, clock_, storage, sections));
  }
  Json job(const std::string& name) {
    const Json jobs = Json::parse(hub_->get("/backups").body)["jobs"];
    for (const Json& job : jobs)
      if (job["name"] == name) return job;
    return Json();
  }
  bool ran(const std::string& name) { return !job(name)["last_run"].is_null(); }
  std::vector<std::string> files() const {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(folder_)) names.push_back(entry.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
  }
  std::string path(const std::string& name) const { return (folder_ / name).string(); }

  fs::path folder_;
  std::shared_ptr<ManualClock> clock_ = std::make_shared<ManualClock>();
  std::unique_ptr<testing::TestHub> hub_;
};

TEST_F(BackupJobsTest, ACommandsOutputIsKeptAndOnlyTheNewestStay) {
  start("    - {name: pg, command: \"printf 'dump of the night'\", output: \"" + path("pg-{time}.sql") + "\", keep: 2}\n");
  ASSERT_TRUE(eventually([&] { return ran("pg"); })) << hub_->get("/backups").body;
  for (int night = 1; night <= 3; ++night) {
    clock_->advance(std::chrono::hours(24));
    const HttpReply run = hub_->post("/backups/pg/run", "{}");
    ASSERT_EQ(run.status, 200) << run.body;
    EXPECT_EQ(Json::parse(run.body)["size_bytes"], 17);
  }
  const std::vector<std::string> kept = files();
  ASSERT_EQ(kept.size(), 2u) << "keep: 2";
  std::ifstream newest(folder_ / kept.back());
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(newest), {}), "dump of the night");
  const Json pg = job("pg");
  EXPECT_EQ(pg["status"], "healthy");
  EXPECT_EQ(pg["last_success_age_seconds"], 0);
  EXPECT_TRUE(pg["last_run"]["succeeded"].get<bool>());
  EXPECT_EQ(pg["last_run"]["output"], (folder_ / kept.back()).string());
}

TEST_F(BackupJobsTest, AFailingJobIsRecordedAlertedAndItsTargetDegraded) {
  start("    - {name: clickhouse, command: \"echo disk full >&2; exit 3\", output: \"" + path("ch-{time}.tar") + "\"}\n");
  ASSERT_TRUE(eventually([&] { return ran("clickhouse"); }));
  const Json failed = job("clickhouse");
  EXPECT_EQ(failed["status"], "degraded");
  EXPECT_FALSE(failed["last_run"]["succeeded"].get<bool>());
  EXPECT_EQ(failed["last_run"]["exit_code"], 3);
  EXPECT_NE(failed["last_run"]["message"].get<std::string>().find("exited with 3: disk full"), std::string::npos) << failed.dump();
  EXPECT_TRUE(failed["last_success"].is_null());
  EXPECT_TRUE(files().empty()) << "a failed run leaves no output behind";
  ASSERT_TRUE(eventually([&] { return hub_->get("/health/alerts").body.find("backup_failed") != std::string::npos; }));
  const Json target = Json::parse(hub_->get("/health/infrastructure").body)["backup:clickhouse"];
  EXPECT_EQ(target["status"], "degraded") << target.dump();
  EXPECT_NE(target["error_message"].get<std::string>().find("disk full"), std::string::npos);
}

TEST_F(BackupJobsTest, AJobIsKilledAtItsTimeout) {
  start("    - {name: slow, command: \"sleep 60\", output: \"" + path("slow.out") + "\", timeout_seconds: 1}\n");
  const auto started = std::chrono::steady_clock::now();
  ASSERT_TRUE(eventually([&] { return ran("slow"); }));
  EXPECT_LT(std::chrono::steady_clock::now() - started, 10s);
  EXPECT_NE(job("slow")["last_run"]["message"].get<std::string>().find("killed after its timeout of 1 s"), std::string::npos);
}

TEST_F(BackupJobsTest, TheHubsOwnSnapshotIsWrittenVerified) {
  start("    - {name: hub, snapshot: true, output: \"" + path("hub-{time}.snapshot") + "\", keep: 24}\n");
  ASSERT_EQ(hub_->post("/register", Json{{"service_name", "pricing"}, {"host", "10.0.0.1"}, {"port", 8001}}.dump()).status, 201);
  ASSERT_TRUE(eventually([&] { return ran("hub"); }));
  clock_->advance(std::chrono::hours(1));
  ASSERT_EQ(hub_->post("/backups/hub/run", "{}").status, 200);
  EXPECT_NE(job("hub")["last_run"]["message"].get<std::string>().find("verified: 1 instance(s)"), std::string::npos);
  std::ifstream file(folder_ / files().back(), std::ios::binary);
  std::stringstream bytes;
  bytes << file.rdbuf();
  EXPECT_EQ(backups::read_snapshot(bytes.str()).instances.size(), 1u);
}

TEST_F(BackupJobsTest, ALastSuccessOlderThanItsLimitTurnsTheJobDegraded) {
  start("    - {name: pg, command: \"true\", output: \"" + path("pg.sql") + "\", interval_seconds: 3600, max_age_seconds: 7200}\n");
  ASSERT_TRUE(eventually([&] { return ran("pg"); }));
  EXPECT_EQ(job("pg")["status"], "healthy");
  clock_->advance(std::chrono::seconds(7201));
  EXPECT_EQ(job("pg")["status"], "degraded");
  EXPECT_EQ(job("pg")["last_success_age_seconds"], 7201);
  const Json target = Json::parse(hub_->get("/health/infrastructure").body)["backup:pg"];
  EXPECT_NE(target["error_message"].get<std::string>().find("7201 s old; the limit is 7200 s"), std::string::npos) << target.dump();
  EXPECT_EQ(hub_->post("/backups/nope/run", "{}").status, 404);
}

TEST_F(BackupJobsTest, ARestartedHubKnowsItsJobsRunsAndDoesNotRunThemAgainAtOnce) {
  testing::ScratchStore store(testing::Backend::sqlite);
  const std::string jobs = "    - {name: pg, command: \"printf x\", output: \"" + path("pg-{time}.sql") + "\", interval_seconds: 3600}\n";
  start(jobs, store.yaml());
  ASSERT_TRUE(eventually([&] { return ran("pg"); }));
  const Json before = job("pg");
  hub_.reset();
  start(jobs, store.yaml());
  EXPECT_EQ(job("pg")["last_run"], before["last_run"]);
  EXPECT_EQ(files().size(), 1u) << "its interval has not passed since the run before the restart";
}

TEST(BackupSettings, AJobNeedsACommandOrTheSnapshotAndAUniqueName) {
  const auto start = [](const std::string& jobs) {
    Hub hub(testing::registry_options(testing::kLiveness, nullptr, "{backend: memory}", "backups:\n  jobs:\n" + jobs));
  };
  EXPECT_THROW(start("    - {name: a, output: /tmp/a}\n"), ManifestError);
  EXPECT_THROW(start("    - {name: a, command: x, snapshot: true, output: /tmp/a}\n"), ManifestError);
  EXPECT_THROW(start("    - {name: a, command: x, output: /tmp/a}\n    - {name: a, command: y, output: /tmp/b}\n"), ManifestError);
  EXPECT_THROW(start("    - {name: a, command: x, output: /tmp/a, timeout_second: 5}\n"), ManifestError);
}

}  // namespace
}  // namespace hub
