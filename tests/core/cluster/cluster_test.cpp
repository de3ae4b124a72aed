// Three hubs on one PostgreSQL: each serves what was registered or configured through any of
// them, concurrent config updates through two hubs both succeed in one order, and a watch on one
// hub wakes for a change made through another.
#include "support/eventually.hpp"
#include "support/registry_hub.hpp"
#include "support/scratch_storage.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <filesystem>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include <unistd.h>

namespace hub {
namespace {

using Json = nlohmann::json;
using testing::Backend;
using namespace std::chrono_literals;

using testing::eventually;

class Cluster : public ::testing::Test {
 protected:
  void SetUp() override {
    HUB_NEED_BACKEND(Backend::postgres);
    scratch_ = std::make_unique<testing::ScratchStore>(Backend::postgres);
    for (int i = 0; i < 3; ++i)
      hubs_.push_back(std::make_unique<testing::TestHub>(testing::registry_options(testing::kLiveness, nullptr, scratch_->yaml())));
  }
  testing::TestHub& hub(size_t i) { return *hubs_.at(i); }
  static HttpReply put_config(testing::TestHub& hub, const std::string& service, const Json& config) {
    HttpCallOptions put;
    put.body = Json{{"config_data", config}}.dump();
    return http_call("PUT", hub.url() + "/config/" + service, put);
  }

  std::unique_ptr<testing::ScratchStore> scratch_;
  std::vector<std::unique_ptr<testing::TestHub>> hubs_;
};

TEST_F(Cluster, EveryHubServesWhatWasRegisteredThroughAny) {
  for (size_t i = 0; i < 3; ++i)
    ASSERT_EQ(
        hub(i)
            .post("/register",
                  Json{{"service_name", "svc-" + std::to_string(i)}, {"host", "10.0.0." + std::to_string(i + 1)}, {"port", 8000}}.dump())
            .status,
        201);
  for (size_t serving = 0; serving < 3; ++serving)
    for (size_t registered = 0; registered < 3; ++registered)
      EXPECT_TRUE(eventually([&] { return hub(serving).get("/services/svc-" + std::to_string(registered)).status == 200; }))
          << "hub " << serving << " never served svc-" << registered;
  // Removed through a hub that learned of it from the feed: gone everywhere.
  const HttpReply removed = hub(2).post("/deregister", Json{{"service_name", "svc-0"}, {"instance_id", "10.0.0.1:8000"}}.dump());
  ASSERT_EQ(removed.status, 200) << removed.body;
  for (size_t serving = 0; serving < 3; ++serving)
    EXPECT_TRUE(eventually([&] { return hub(serving).get("/services/svc-0").status == 404; }))
        << "hub " << serving << " still serves svc-0";
}

TEST_F(Cluster, ConcurrentConfigUpdatesThroughTwoHubsAllSucceedInOneOrder) {
  constexpr int kEach = 10;
  std::atomic<int> failures{0};
  std::vector<std::thread> writers;
  for (size_t writer = 0; writer < 2; ++writer)
    writers.emplace_back([&, writer] {
      for (int i = 0; i < kEach; ++i) {
        const HttpReply reply = put_config(hub(writer), "orders", {{"writer", writer}, {"i", i}});
        if (reply.status != 201) {
          ++failures;
          ADD_FAILURE() << reply.status << " " << reply.body;
        }
      }
    });
  for (auto& writer : writers) writer.join();
  ASSERT_EQ(failures, 0);
  // Every hub ends at the same version and revision, the last of 20.
  std::vector<Json> served(3);
  const bool agreed = eventually([&] {
    for (size_t i = 0; i < 3; ++i) served[i] = Json::parse(hub(i).get("/config/orders").body);
    return served[0]["version"] == 2 * kEach && served[1] == served[0] && served[2] == served[0];
  });
  EXPECT_TRUE(agreed) << served[0].dump() << "\n" << served[1].dump() << "\n" << served[2].dump();
  const Json history = Json::parse(hub(2).get("/config/orders/history?limit=100").body);
  std::set<int64_t> versions;
  for (const Json& version : history["versions"]) versions.insert(version["version"].get<int64_t>());
  EXPECT_EQ(versions.size(), history["versions"].size()) << "two versions share a number";
}

TEST_F(Cluster, AWatchOnOneHubWakesForAChangeThroughAnother) {
  ASSERT_EQ(put_config(hub(0), "pricing", {{"spread", 1}}).status, 201);
  int64_t known = 0;
  ASSERT_TRUE(eventually([&] {
    known = Json::parse(hub(2).get("/config/pricing").body).value("revision", int64_t{0});
    return known > 0;
  }));
  auto woken =
      std::async(std::launch::async, [&] { return hub(2).get("/config/pricing/watch?index=" + std::to_string(known) + "&wait=10"); });
  ASSERT_EQ(woken.wait_for(100ms), std::future_status::timeout);  // parked: nothing newer yet
  ASSERT_EQ(put_config(hub(1), "pricing", {{"spread", 2}}).status, 201);
  const HttpReply answer = woken.get();
  ASSERT_EQ(answer.status, 200) << answer.body;
  const Json changed = Json::parse(answer.body);
  EXPECT_GT(changed["revision"].get<int64_t>(), known);
  EXPECT_EQ(changed["config"]["spread"], 2);
}

TEST_F(Cluster, EachHubListsTheLiveHubsWithTheirAddressesLagAndLeases) {
  std::set<std::string> addresses;
  for (size_t i = 0; i < 3; ++i) addresses.insert(hub(i).url().substr(std::string("http://").size()));
  Json cluster;
  ASSERT_TRUE(eventually([&] {
    cluster = Json::parse(hub(1).get("/cluster").body);
    std::set<std::string> listed;
    for (const Json& member : cluster["hubs"]) listed.insert(member["address"].get<std::string>());
    return listed == addresses;
  })) << cluster.dump();
  EXPECT_EQ(cluster["shared"], true);
  int selves = 0, liveness_leaders = 0;
  for (const Json& member : cluster["hubs"]) {
    selves += member.value("self", false) ? 1 : 0;
    EXPECT_GE(std::stoll(member["lag"].get<std::string>()), 0);  // int64 in proto3's JSON: a string
    EXPECT_LT(member["silent_seconds"].get<double>(), 5.0);
    for (const Json& lease : member.value("leases", Json::array())) liveness_leaders += lease == "liveness" ? 1 : 0;
  }
  EXPECT_EQ(selves, 1);
  EXPECT_LE(liveness_leaders, 1);
  ASSERT_TRUE(eventually([&] {
    int held = 0;
    const Json listed = Json::parse(hub(0).get("/cluster").body);
    for (const Json& member : listed["hubs"])
      for (const Json& lease : member.value("leases", Json::array())) held += lease == "liveness" ? 1 : 0;
    return held == 1;
  })) << "no hub holds the liveness lease";
  // A hub that stops leaves the list at once.
  hubs_[2].reset();
  EXPECT_TRUE(eventually([&] { return Json::parse(hub(0).get("/cluster").body)["hubs"].size() == 2; }));
}

// A snapshot restored through one hub replaces what the others hold too: the import writes one
// "reload" row to the feed, and they read everything again.
TEST_F(Cluster, ASnapshotRestoredThroughOneHubIsServedByTheOthers) {
  std::string snapshot;
  {
    testing::TestHub source(testing::registry_options());
    ASSERT_EQ(source.post("/register", Json{{"service_name", "ledger"}, {"host", "10.0.0.7"}, {"port", 9000}}.dump()).status, 201);
    ASSERT_EQ(put_config(source, "ledger", {{"limit", 7}}).status, 201);
    snapshot = source.get("/snapshot").body;
  }
  const HttpReply restored = hub(0).post("/snapshot/restore", snapshot);
  ASSERT_EQ(restored.status, 200) << restored.body;
  for (size_t i = 1; i < 3; ++i) {
    EXPECT_TRUE(eventually([&] { return hub(i).get("/services/ledger").status == 200; })) << "hub " << i;
    EXPECT_TRUE(eventually([&] {
      const HttpReply config = hub(i).get("/config/ledger");
      return config.status == 200 && Json::parse(config.body)["config"]["limit"] == 7;
    })) << "hub "
        << i;
  }
}

TEST(ClusterAlone, AHubOnItsOwnStorageListsItselfWithEveryLease) {
  testing::TestHub alone(testing::registry_options());
  const Json cluster = Json::parse(alone.get("/cluster").body);
  EXPECT_EQ(cluster.value("shared", false), false);
  ASSERT_EQ(cluster["hubs"].size(), 1u);
  EXPECT_EQ(cluster["hubs"][0]["address"], alone.url().substr(std::string("http://").size()));
  EXPECT_EQ(cluster["hubs"][0]["self"], true);
  EXPECT_EQ(cluster["hubs"][0]["leases"], Json::array({"liveness", "backups"}));
}

// An alert every hub may raise from what it sees itself (here, a new error reported to each) goes
// out once: the first hub to claim it in PostgreSQL sends it.
TEST_F(Cluster, ANewErrorReportedToTwoHubsIsAlertedOnce) {
  for (size_t i = 0; i < 2; ++i)  // alerts come from health monitoring
    hubs_[i] = std::make_unique<testing::TestHub>(
        testing::registry_options(testing::kLiveness, nullptr, scratch_->yaml(), "health_monitoring: {check_interval_seconds: 60}\n"));
  std::mutex mutex;
  std::map<std::string, int> alerts;  // by message
  std::vector<uint64_t> subscriptions;
  for (size_t i = 0; i < 2; ++i)
    subscriptions.push_back(hub(i)->events().subscribe([&](const Event& event) {
      if (event.topic != "alert.new_error") return;
      std::lock_guard lock(mutex);
      ++alerts[Json::parse(event.json).value("message", "")];
    }));
  const auto report = [&](size_t i, const std::string& type) {
    const Json events = {{"events",
                          {{{"service", "orders"},
                            {"version", "1.0.0"},
                            {"host", "web-1"},
                            {"type", type},
                            {"message", "order 17 not found"},
                            {"frames", {{{"module", "orders.api"}, {"function", "load"}, {"line", 10}, {"in_app", true}}}}}}}};
    return hub(i).post("/errors", events.dump()).status;
  };
  const auto count = [&](const std::string& type) {
    std::lock_guard lock(mutex);
    int total = 0;
    for (const auto& [message, times] : alerts) total += message.find(type) != std::string::npos ? times : 0;
    return total;
  };
  ASSERT_EQ(report(0, "KeyError"), 200);
  ASSERT_TRUE(eventually([&] { return count("KeyError") == 1; }));
  ASSERT_EQ(report(1, "KeyError"), 200);  // new to hub 1 too
  // Claims are taken in order: once hub 1 alerted the next new error, it has judged the first.
  ASSERT_EQ(report(1, "ValueError"), 200);
  ASSERT_TRUE(eventually([&] { return count("ValueError") == 1; }));
  EXPECT_EQ(count("KeyError"), 1) << "hub 1 alerted a new error hub 0 had alerted already";
  for (size_t i = 0; i < 2; ++i) hub(i)->events().unsubscribe(subscriptions[i]);
}

// Scheduled backups run on one hub, the lease holder; when it stops, another runs them on.
TEST(ClusterBackups, OneHubRunsTheScheduleAndAnotherTakesItOver) {
  HUB_NEED_BACKEND(Backend::postgres);
  testing::ScratchStore scratch(Backend::postgres);
  const std::filesystem::path outputs = std::filesystem::temp_directory_path() / ("cluster-backups-" + std::to_string(getpid()));
  const std::string sections = "backups:\n  jobs:\n    - {name: marks, command: 'echo mark', interval_seconds: 2, output: '" +
                               (outputs / "marks-{time}.txt").string() + "'}\n";
  std::vector<std::unique_ptr<testing::TestHub>> hubs;
  for (int i = 0; i < 2; ++i)
    hubs.push_back(std::make_unique<testing::TestHub>(testing::registry_options(testing::kLiveness, nullptr, scratch.yaml(), sections)));
  const auto run_starts = [&] {
    std::vector<double> starts;
    for (const std::string& at : scratch.column("SELECT EXTRACT(EPOCH FROM started_at) FROM hub_backup_runs ORDER BY started_at"))
      starts.push_back(std::stod(at));
    return starts;
  };
  const auto holder = [&](testing::TestHub& asked) {
    const Json listed = Json::parse(asked.get("/cluster").body);
    for (const Json& member : listed["hubs"])
      for (const Json& lease : member.value("leases", Json::array()))
        if (lease == "backups") return member["address"].get<std::string>();
    return std::string();
  };
  ASSERT_TRUE(eventually([&] { return run_starts().size() >= 3; }, 20s));
  const std::string first_holder = holder(*hubs[0]);
  ASSERT_FALSE(first_holder.empty());
  const size_t leading = hubs[0]->url().ends_with(first_holder) ? 0 : 1;
  hubs[leading].reset();
  const size_t survivor = 1 - leading;
  const size_t before = run_starts().size();
  ASSERT_TRUE(eventually([&] { return run_starts().size() >= before + 2; }, 20s)) << "the survivor never ran the job";
  EXPECT_TRUE(hubs[survivor]->url().ends_with(holder(*hubs[survivor])));
  const std::vector<double> starts = run_starts();
  for (size_t i = 1; i < starts.size(); ++i)
    EXPECT_GE(starts[i] - starts[i - 1], 1.5) << "runs " << i - 1 << " and " << i << " came within one interval: run twice";
  std::filesystem::remove_all(outputs);
}

// One hub judges silence, from the heartbeats any hub took; when it stops, another takes over.
class ClusterLiveness : public ::testing::Test {
 protected:
  void SetUp() override {
    HUB_NEED_BACKEND(Backend::postgres);
    scratch_ = std::make_unique<testing::ScratchStore>(Backend::postgres);
    for (int i = 0; i < 2; ++i)
      hubs_.push_back(std::make_unique<testing::TestHub>(testing::registry_options(testing::kLiveness, clock_, scratch_->yaml())));
  }
  testing::TestHub& hub(size_t i) { return *hubs_.at(i); }
  std::string status_of(size_t i, const std::string& service) {
    const HttpReply reply = hub(i).get("/services/" + service);
    return reply.status == 200 ? Json::parse(reply.body)["instances"][0].value("status", "") : "gone";
  }
  int leader() {
    for (size_t i = 0; i < hubs_.size(); ++i)
      if (hubs_[i] && Json::parse(hub(i).get("/health").body).value("cluster", Json::object()).value("liveness_leader", false))
        return static_cast<int>(i);
    return -1;
  }
  std::string stored_beat(const std::string& service) {
    const auto beats = scratch_->column("SELECT last_heartbeat FROM service_registry WHERE service_name = '" + service + "'");
    return beats.empty() ? "" : beats[0];
  }

  std::shared_ptr<ManualClock> clock_ = std::make_shared<ManualClock>(1'800'000'000'000'000);
  std::unique_ptr<testing::ScratchStore> scratch_;
  std::vector<std::unique_ptr<testing::TestHub>> hubs_;
};

TEST_F(ClusterLiveness, OneHubJudgesSilenceFromHeartbeatsAnyHubTookAndAnotherTakesOver) {
  for (const char* service : {"beating", "silent"})
    ASSERT_EQ(hub(0).post("/register", Json{{"service_name", service}, {"host", "10.0.0.1"}, {"port", 8000}}.dump()).status, 201);
  ASSERT_TRUE(eventually([&] { return leader() >= 0; })) << "no hub took the liveness lease";
  ASSERT_TRUE(eventually([&] { return status_of(1, "beating") == "healthy"; }));
  clock_->advance(80s);  // within the timeout of 90 s for both
  // "beating" heartbeats to hub 1 only; its flush stores it, and the leader reads it from there.
  const std::string before = stored_beat("beating");
  ASSERT_EQ(
      hub(1).post("/heartbeat", Json{{"service_name", "beating"}, {"instance_id", "10.0.0.1:8000"}, {"status", "healthy"}}.dump()).status,
      200);
  ASSERT_TRUE(eventually([&] { return stored_beat("beating") != before; }));
  clock_->advance(60s);  // "silent": 140 s without a word; "beating": 60 s
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_TRUE(eventually([&] { return status_of(i, "silent") == "down"; })) << "hub " << i << ": " << status_of(i, "silent");
    EXPECT_EQ(status_of(i, "beating"), "healthy") << "hub " << i << " judged a heartbeat another hub took as silence";
  }
  // The leader stops: the other hub takes the lease over and judges on.
  const int stopped = leader();
  ASSERT_GE(stopped, 0);
  hubs_[static_cast<size_t>(stopped)].reset();
  const size_t survivor = stopped == 0 ? 1 : 0;
  ASSERT_TRUE(eventually([&] { return leader() == static_cast<int>(survivor); })) << "the lease was not taken over";
  clock_->advance(60s);  // "beating": 120 s without a word now
  EXPECT_TRUE(eventually([&] { return status_of(survivor, "beating") == "down"; })) << status_of(survivor, "beating");
}

}  // namespace
}  // namespace hub
