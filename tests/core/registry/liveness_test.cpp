// Liveness that survives the hub's own outages, on a ManualClock and every
// storage backend: the grace after a restart or a storage outage, the
// mass-expiry guard (a partition held, a real death expired, a small fleet
// exempt, an operator's confirmation, the guard turned off), and the panic
// threshold for lookups.
#include "support/log_capture.hpp"
#include "support/registry_hub.hpp"
#include "support/storage_backend.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <chrono>
#include <map>
#include <mutex>
#include <set>

namespace {

using hub::testing::Backend;
using hub::testing::parse_json;
using hub::testing::ScratchStore;
using std::chrono::seconds;
using testing::HasSubstr;
namespace v1 = hub::api::v1;

// Silent 90 s -> down; down 300 s more -> removed. Health monitoring on, so that alerts are kept.
const char* kMonitored = "health_monitoring: {check_interval_seconds: 60}\n";

std::string id(const std::string& prefix, int n) {
  return prefix + "-" + std::to_string(n);
}

class Liveness : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override { HUB_NEED_BACKEND(GetParam()); }
  void TearDown() override { stop(); }

  void start(const std::string& sections = "") {
    hub::HubOptions options = hub::testing::registry_options(hub::testing::kLiveness, clock_, store_.yaml(), sections + kMonitored);
    options.housekeeping_interval = std::chrono::hours(1);  // the test runs each pass
    options.health_scheduler_thread = false;
    hub_ = std::make_unique<hub::testing::TestHub>(std::move(options));
    subscription_ = (*hub_)->events().subscribe([this](const hub::Event& event) {
      if (!event.topic.starts_with("liveness.")) return;
      std::lock_guard lock(mutex_);
      events_.push_back(event.topic + " " + event.json);
    });
  }
  void stop() {
    if (!hub_) return;
    (*hub_)->events().unsubscribe(subscription_);
    hub_.reset();
  }
  hub::testing::TestHub& hub() { return *hub_; }

  void register_fleet(const std::string& service, const std::string& prefix, int from, int to) {
    for (int n = from; n < to; ++n)
      ASSERT_EQ(hub()
                    .post("/register", R"({"service_name": ")" + service + R"(", "instance_id": ")" + id(prefix, n) +
                                           R"(", "host": "10.0.0.1", "port": )" + std::to_string(8000 + n) + "}")
                    .status,
                201);
  }
  void beat(const std::string& service, const std::string& prefix, int from, int to) {
    for (int n = from; n < to; ++n)
      ASSERT_EQ(hub().post("/heartbeat", R"({"service_name": ")" + service + R"(", "instance_id": ")" + id(prefix, n) + R"("})").status,
                200);
  }
  // Every instance of `service` by id, with its status; empty when the service is gone.
  std::map<std::string, std::string> statuses(const std::string& service) {
    std::map<std::string, std::string> out;
    const hub::HttpReply reply = hub().get("/services/" + service);
    if (reply.status == 404) return out;
    const auto service_answer = parse_json<v1::ServiceResponse>(reply);
    for (const auto& instance : service_answer.instances()) out[instance.instance_id()] = instance.status();
    return out;
  }
  size_t count(const std::string& service, const std::string& status) {
    size_t n = 0;
    for (const auto& [id, s] : statuses(service)) n += s == status;
    return n;
  }
  std::vector<std::string> events() {
    std::lock_guard lock(mutex_);
    return events_;
  }
  v1::LivenessStatus liveness() { return parse_json<v1::LivenessStatus>(hub().get("/liveness")); }
  size_t alerts(const std::string& type) {
    const hub::HttpReply reply = hub().get("/health/alerts");
    size_t n = 0;
    for (size_t at = reply.body.find("\"" + type + "\""); at != std::string::npos; at = reply.body.find("\"" + type + "\"", at + 1)) ++n;
    return n;
  }

  // 100 instances of "fleet"; 80 of them stop heartbeating at once, as a partition between them and the hub would.
  void partition_eighty_of_a_hundred() {
    register_fleet("fleet", "i", 0, 100);
    clock_->advance(seconds(60));
    beat("fleet", "i", 0, 20);
    clock_->advance(seconds(31));  // i-20..i-99 silent 91 s, over the 90 s timeout
  }

  std::shared_ptr<hub::ManualClock> clock_ = std::make_shared<hub::ManualClock>();
  ScratchStore store_{hub::testing::available(GetParam())};

 private:
  std::unique_ptr<hub::testing::TestHub> hub_;
  uint64_t subscription_ = 0;
  std::mutex mutex_;
  std::vector<std::string> events_;
};

TEST_P(Liveness, APartitionOfMostOfTheFleetIsHeldNotExpiredThenResumesWhenHeartbeatsReturn) {
  start();
  partition_eighty_of_a_hundred();
  EXPECT_EQ(hub()->run_liveness_pass(), 0);
  EXPECT_EQ(count("fleet", "healthy"), 100u);
  ASSERT_EQ(events().size(), 1u);
  EXPECT_THAT(events()[0], HasSubstr("liveness.suspended"));
  EXPECT_THAT(events()[0], HasSubstr("\"live_instances\":100,\"expiring_instances\":80,\"expiring_percent\":80"));
  const v1::LivenessStatus held = liveness();
  EXPECT_EQ(held.state(), "suspended");
  EXPECT_EQ(held.live_instances(), 100u);
  EXPECT_EQ(held.expiring_instances(), 80u);
  EXPECT_EQ(held.max_expiring_percent(), 15u);
  const auto health = parse_json<v1::HealthResponse>(hub().get("/health"));
  EXPECT_EQ(health.status(), "degraded");
  EXPECT_EQ(health.liveness().state(), "suspended");
  EXPECT_THAT(health.liveness().message(), HasSubstr("80 of 100 live instances (80%)"));
  EXPECT_EQ(hub()->metrics().value("hub_liveness_suspended"), 1);

  // Held past the time to removal too, with one alert, while the reachable 20 keep heartbeating.
  for (int minute = 0; minute < 7; ++minute) {
    clock_->advance(seconds(60));
    beat("fleet", "i", 0, 20);
    EXPECT_EQ(hub()->run_liveness_pass(), 0);
  }
  EXPECT_EQ(count("fleet", "healthy"), 100u);
  EXPECT_EQ(hub().get("/discover/fleet").status, 200);
  EXPECT_EQ(events().size(), 1u);
  EXPECT_EQ(alerts("liveness_suspended"), 1u);

  beat("fleet", "i", 20, 100);  // the partition heals
  EXPECT_EQ(hub()->run_liveness_pass(), 0);
  ASSERT_EQ(events().size(), 2u);
  EXPECT_THAT(events()[1], HasSubstr("liveness.resumed"));
  EXPECT_THAT(events()[1], HasSubstr("heartbeats are back"));
  EXPECT_EQ(liveness().state(), "active");
  EXPECT_EQ(parse_json<v1::HealthResponse>(hub().get("/health")).status(), "healthy");
  EXPECT_EQ(alerts("liveness_resumed"), 1u);
  EXPECT_EQ(hub()->metrics().value("hub_liveness_suspended"), 0);
  EXPECT_EQ(count("fleet", "healthy"), 100u);
}

TEST_P(Liveness, ARealDeathAmongAHundredExpiresAsUsual) {
  start();
  register_fleet("fleet", "i", 0, 100);
  clock_->advance(seconds(60));
  beat("fleet", "i", 1, 100);
  clock_->advance(seconds(31));
  EXPECT_EQ(hub()->run_liveness_pass(), 1);
  EXPECT_EQ(statuses("fleet")["i-0"], "down");
  EXPECT_EQ(count("fleet", "healthy"), 99u);
  // Removed 300 s after it went down, the others heartbeating meanwhile.
  for (int step = 0; step < 4; ++step) {
    clock_->advance(seconds(60));
    beat("fleet", "i", 1, 100);
    hub()->run_liveness_pass();
  }
  clock_->advance(seconds(59));  // down 299 s
  beat("fleet", "i", 1, 100);
  EXPECT_EQ(hub()->run_liveness_pass(), 0);
  EXPECT_EQ(statuses("fleet").count("i-0"), 1u);
  clock_->advance(seconds(1));
  EXPECT_EQ(hub()->run_liveness_pass(), 1);
  EXPECT_EQ(statuses("fleet").count("i-0"), 0u);
  EXPECT_EQ(statuses("fleet").size(), 99u);
  EXPECT_TRUE(events().empty()) << events()[0];
}

TEST_P(Liveness, ASmallFleetIsExemptSoThatOneDeathAmongThreeIsNotHidden) {
  start();
  register_fleet("trio", "t", 0, 3);
  clock_->advance(seconds(60));
  beat("trio", "t", 1, 3);
  clock_->advance(seconds(31));
  EXPECT_EQ(hub()->run_liveness_pass(), 1);  // 1 of 3 is 33%, but 3 instances are under min_instances (10)
  EXPECT_EQ(statuses("trio")["t-0"], "down");
  EXPECT_TRUE(events().empty());
  EXPECT_NE(liveness().state(), "suspended");
}

TEST_P(Liveness, AnOperatorConfirmsTheDeathsAndTheyExpireAtOnce) {
  start();
  EXPECT_EQ(hub().post("/liveness/confirm", "").status, 409);
  partition_eighty_of_a_hundred();
  EXPECT_EQ(hub()->run_liveness_pass(), 0);
  const hub::HttpReply confirmed = hub().post("/liveness/confirm", "");
  EXPECT_EQ(confirmed.status, 200) << confirmed.body;
  EXPECT_THAT(confirmed.body, HasSubstr("confirmed: 80 instance(s) changed"));
  EXPECT_EQ(count("fleet", "down"), 80u);
  EXPECT_NE(liveness().state(), "suspended");
  ASSERT_EQ(events().size(), 2u);
  EXPECT_THAT(events()[1], HasSubstr("an operator confirmed"));
  // What was confirmed does not count toward the next hold: one more death among the 20 expires.
  clock_->advance(seconds(60));
  beat("fleet", "i", 1, 20);
  clock_->advance(seconds(31));
  EXPECT_EQ(hub()->run_liveness_pass(), 1);
  EXPECT_EQ(statuses("fleet")["i-0"], "down");
  EXPECT_EQ(events().size(), 2u);
  const hub::HttpReply again = hub().post("/liveness/confirm", "");
  EXPECT_EQ(again.status, 409);
  EXPECT_THAT(again.body, HasSubstr("liveness is not suspended"));
}

TEST_P(Liveness, TheGuardTurnedOffExpiresAPartitionAsBefore) {
  start("liveness: {guard: {enabled: false}}\n");
  partition_eighty_of_a_hundred();
  EXPECT_EQ(hub()->run_liveness_pass(), 80);
  EXPECT_EQ(count("fleet", "down"), 80u);
  EXPECT_TRUE(events().empty());
  EXPECT_FALSE(liveness().guard());
}

TEST_P(Liveness, APanicThresholdSpreadsLookupsOverEveryInstanceRatherThanAnswering503) {
  start("load_balancing: {panic_threshold_percent: 0, services: {payments: {panic_threshold_percent: 50}}}\n");
  register_fleet("payments", "p", 0, 4);
  register_fleet("orders", "o", 0, 2);
  clock_->advance(seconds(60));
  beat("payments", "p", 0, 1);
  clock_->advance(seconds(31));
  EXPECT_EQ(hub()->run_liveness_pass(), 5);  // 6 instances are under min_instances: nothing held
  ASSERT_EQ(count("payments", "down"), 3u);

  std::set<std::string> picked;
  for (int n = 0; n < 8; ++n) {
    const hub::HttpReply reply = hub().get("/discover/payments");
    ASSERT_EQ(reply.status, 200) << reply.body;
    const auto answer = parse_json<v1::DiscoverResponse>(reply);
    EXPECT_TRUE(answer.panic()) << reply.body;
    picked.insert(answer.instance().instance_id());
  }
  EXPECT_EQ(picked, (std::set<std::string>{"p-0", "p-1", "p-2", "p-3"}));
  EXPECT_EQ(hub().get("/discover/orders").status, 503);  // no threshold: today's answer

  beat("payments", "p", 1, 2);  // 2 of 4 healthy: not under 50%
  picked.clear();
  for (int n = 0; n < 8; ++n) {
    const hub::HttpReply reply = hub().get("/discover/payments");
    const auto answer = parse_json<v1::DiscoverResponse>(reply);
    EXPECT_FALSE(answer.panic()) << reply.body;
    picked.insert(answer.instance().instance_id());
  }
  EXPECT_EQ(picked, (std::set<std::string>{"p-0", "p-1"}));
}

INSTANTIATE_TEST_SUITE_P(Backends, Liveness, hub::testing::kAllBackends, hub::testing::backend_label);

// Memory storage keeps nothing across a restart: these run where there is something to restore.
class LivenessAcrossRestarts : public Liveness {};

TEST_P(LivenessAcrossRestarts, ARestartAfterALongOutageGivesEveryInstanceItsGraceAndNoMore) {
  start();
  register_fleet("api", "a", 0, 2);
  register_fleet("old", "c", 0, 1);
  clock_->advance(seconds(60));
  beat("api", "a", 0, 2);
  clock_->advance(seconds(31));
  ASSERT_EQ(hub()->run_liveness_pass(), 1);  // old/c-0 goes down before the outage
  stop();

  clock_->advance(seconds(600));  // the hub is away longer than the timeout and the time to removal together
  start();
  EXPECT_EQ(hub()->run_liveness_pass(), 0);
  EXPECT_EQ(statuses("api"), (std::map<std::string, std::string>{{"a-0", "healthy"}, {"a-1", "healthy"}}));
  EXPECT_EQ(statuses("old"), (std::map<std::string, std::string>{{"c-0", "down"}}));
  const v1::LivenessStatus grace = liveness();
  EXPECT_EQ(grace.state(), "grace");
  EXPECT_EQ(grace.grace_remaining_seconds(), 120u);  // one heartbeat interval and one window

  clock_->advance(seconds(100));
  beat("api", "a", 0, 1);        // a-0 comes back; a-1 never does
  clock_->advance(seconds(19));  // 119 s after the start: within 30 s + 90 s
  EXPECT_EQ(hub()->run_liveness_pass(), 0);
  EXPECT_EQ(statuses("api")["a-1"], "healthy");
  clock_->advance(seconds(2));  // 121 s
  EXPECT_EQ(hub()->run_liveness_pass(), 1);
  EXPECT_EQ(statuses("api"), (std::map<std::string, std::string>{{"a-0", "healthy"}, {"a-1", "down"}}));

  // The down instance's time to removal also starts with the hub: 300 s after it, not at once.
  for (int step = 0; step < 2; ++step) {
    clock_->advance(seconds(60));
    beat("api", "a", 0, 1);
    hub()->run_liveness_pass();
  }
  clock_->advance(seconds(58));  // 299 s after the start
  EXPECT_EQ(hub()->run_liveness_pass(), 0);
  EXPECT_EQ(statuses("old").size(), 1u);
  clock_->advance(seconds(2));
  EXPECT_EQ(hub()->run_liveness_pass(), 1);
  EXPECT_TRUE(statuses("old").empty());
  EXPECT_TRUE(events().empty());
}

INSTANTIATE_TEST_SUITE_P(DurableBackends, LivenessAcrossRestarts, ::testing::Values(Backend::sqlite, Backend::postgres),
                         hub::testing::backend_label);

// Storage goes away (PostgreSQL refuses connections; another process holds SQLite's write lock) while
// an instance is silent for longer than the timeout: its silence counts from storage's return.
class StorageOutage {
 public:
  explicit StorageOutage(const ScratchStore& store) : store_(store) {}
  ~StorageOutage() { end(); }
  void begin() {
    if (store_.backend() == Backend::postgres) {
      hub::testing::ScratchDatabase& database = *store_.database();
      database.admin("ALTER DATABASE " + database.name() + " ALLOW_CONNECTIONS false");
      database.admin("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '" + database.name() + "'");
    } else {
      ASSERT_EQ(sqlite3_open(store_.file().c_str(), &locker_), SQLITE_OK);
      ASSERT_EQ(sqlite3_exec(locker_, "BEGIN EXCLUSIVE", nullptr, nullptr, nullptr), SQLITE_OK);
    }
  }
  void end() {
    if (store_.backend() == Backend::postgres) {
      hub::testing::ScratchDatabase& database = *store_.database();
      database.admin("ALTER DATABASE " + database.name() + " ALLOW_CONNECTIONS true");
    } else if (locker_) {
      sqlite3_exec(locker_, "COMMIT", nullptr, nullptr, nullptr);
      sqlite3_close(locker_);
      locker_ = nullptr;
    }
  }

 private:
  const ScratchStore& store_;
  sqlite3* locker_ = nullptr;
};

class LivenessAfterAStorageOutage : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override { HUB_NEED_BACKEND(GetParam()); }
  ScratchStore store_{hub::testing::available(GetParam())};
};

TEST_P(LivenessAfterAStorageOutage, SilenceCountsFromStoragesReturn) {
  auto clock = std::make_shared<hub::ManualClock>();
  hub::HubOptions options = hub::testing::registry_options(hub::testing::kLiveness, clock, store_.yaml());
  options.housekeeping_interval = std::chrono::milliseconds(20);
  options.manifest.logging.level = "info";
  auto log = std::make_shared<hub::testing::LogCapture>();
  options.log_lines = log->sink();
  hub::testing::TestHub hub(std::move(options));
  ASSERT_EQ(hub.post("/register", R"({"service_name": "quiet", "host": "10.0.0.1", "port": 1})").status, 201);
  const auto status = [&] { return parse_json<v1::ServiceResponse>(hub.get("/services/quiet")).instances(0).status(); };

  StorageOutage outage(store_);
  outage.begin();
  clock->advance(seconds(200));
  // The pass tries to take the instance down and storage refuses; once storage answers again, a grace
  // begins before the next pass (SQLite answers reads while the lock is held: that is soon).
  EXPECT_TRUE(log->wait_for("liveness changes not stored; instances keep their status meanwhile, retrying")) << log->all();
  outage.end();
  EXPECT_TRUE(log->wait_for("liveness changes not stored; instances keep their status meanwhile: works again after")) << log->all();
  EXPECT_EQ(log->count("liveness grace: storage is back"), 1u) << log->all();
  EXPECT_EQ(status(), "healthy");

  clock->advance(seconds(119));  // within one heartbeat interval and the timeout of storage's return
  EXPECT_EQ(hub->run_liveness_pass(), 0);
  EXPECT_EQ(status(), "healthy");
  clock->advance(seconds(2));  // the housekeeping thread's pass, or this one, takes it down
  hub->run_liveness_pass();    // passes take turns: when it returns, whichever ran has taken it down
  EXPECT_EQ(status(), "down");
  EXPECT_EQ(log->count("liveness grace"), 2u) << log->all();  // the start's, and storage's return
}

INSTANTIATE_TEST_SUITE_P(DurableBackends, LivenessAfterAStorageOutage, ::testing::Values(Backend::sqlite, Backend::postgres),
                         hub::testing::backend_label);

}  // namespace
