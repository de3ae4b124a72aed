// The balancer: which instances it hands a load_balancer implementation, and
// what it makes of the implementation's picks, through the ABI as any plugin.
#include "balancing/balancer.hpp"
#include "plugin_set/plugin_set.hpp"
#include "storage/group_commit.hpp"
#include "storage/storage.hpp"

#include <hub/plugin.hpp>
#include "load_balancer_plugin.hpp"
#include "plugin_host/plugin_loader.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <set>
#include <thread>

namespace {

using hub::Code;

// A balancer that remembers what it was handed and picks what the test says.
struct Told {
  std::vector<std::pair<std::string, hub_health>> candidates;
  uint64_t key_hash = 0;
  size_t index = 0;
  bool refuse_update = false;
};
Told told;

class ScriptedBalancer {
 public:
  explicit ScriptedBalancer(const hub::Context&) {}
  void update(std::span<const hub_lb_candidate> candidates) {
    if (told.refuse_update) throw hub::Error(HUB_INVALID_ARGUMENT, "no candidates today");
    told.candidates.clear();
    for (const hub_lb_candidate& candidate : candidates)
      told.candidates.emplace_back(std::string(candidate.instance_id.ptr, candidate.instance_id.len), candidate.health);
  }
  std::optional<size_t> pick(std::string_view, uint64_t key_hash) {
    told.key_hash = key_hash;
    return told.index;
  }
};

HUB_PLUGIN_DESCRIPTOR(scripted_plugin, "scripted", "1.0.0", "test balancer", HUB_LOAD_BALANCER("scripted", ScriptedBalancer))

hub::InstanceRecord instance(const std::string& id) {
  hub::InstanceRecord record;
  record.service_name = "pricing";
  record.instance_id = id;
  record.host = "10.0.0.1";
  record.port = 8001;
  return record;
}

class BalancerTest : public ::testing::Test {
 protected:
  void SetUp() override { told = {}; }
  void add(const std::string& id, const std::string& status = "healthy") {
    ASSERT_TRUE(registry.register_instance(instance(id)).status.ok());
    if (status != "healthy") {
      ASSERT_TRUE(registry.set_probe_status("pricing", id, status));
    }
  }
  hub::Balancer round_robin(hub::LoadBalancingSettings settings = {}) {
    return hub::Balancer(
        registry, std::move(settings), [](const std::string& service) { return hub::builtin_round_robin(service, {}); }, clock);
  }
  int64_t in_flight(hub::Balancer& balancer, const std::string& id) {
    const auto pick = balancer.pick("pricing");
    for (size_t i = 0; i < pick.candidates->instances.size(); ++i)
      if (pick.candidates->instances[i].instance_id == id) return balancer.figures(*pick.candidates->loads[i]).active_requests;
    return -1;
  }
  hub::Balancer scripted() {
    static const auto library = hub::PluginLoader{}.add_static("scripted", &scripted_plugin);
    return hub::Balancer(registry, {}, [](const std::string& service) {
      return hub::PluginInstance::create(library, *library->find("scripted", HUB_KIND_LOAD_BALANCER), service, {}, {});
    });
  }

  std::shared_ptr<hub::ManualClock> clock = std::make_shared<hub::ManualClock>();
  hub::EventBus events;
  std::unique_ptr<hub::Storage> storage = hub::open_memory_storage();
  hub::GroupCommit writes{*storage};
  hub::Registry registry{clock, *storage, writes, events};
};

TEST_F(BalancerTest, RoundRobinTakesTheHealthyInstancesInTurn) {
  add("a"), add("b"), add("c", "degraded");
  hub::Balancer balancer = round_robin();
  std::vector<std::string> picked;
  for (int i = 0; i < 4; ++i) {
    const auto pick = balancer.pick("pricing");
    ASSERT_TRUE(pick.status.ok()) << pick.status.message();
    EXPECT_FALSE(pick.candidates->panic);
    picked.push_back(pick.instance().instance_id);
  }
  EXPECT_EQ(picked, (std::vector<std::string>{"a", "b", "a", "b"}));
}

TEST_F(BalancerTest, DegradedInstancesServeWhenNoneIsHealthyAndNoneWhenAllAreDown) {
  add("a", "down"), add("b", "degraded");
  hub::Balancer balancer = round_robin();
  EXPECT_EQ(balancer.pick("pricing").instance().instance_id, "b");
  ASSERT_TRUE(registry.set_probe_status("pricing", "b", "down"));
  const auto none = balancer.pick("pricing");
  EXPECT_EQ(none.status.code(), Code::unavailable);
  EXPECT_NE(none.status.message().find("every instance is down"), std::string::npos);
  EXPECT_EQ(balancer.pick("nobody").status.code(), Code::not_found);
}

TEST_F(BalancerTest, BelowThePanicThresholdEveryInstanceIsACandidate) {
  add("a"), add("b", "down"), add("c", "down"), add("d", "down");
  hub::LoadBalancingSettings settings;
  settings.service_panic_threshold_percent["pricing"] = 50;
  hub::Balancer balancer = round_robin(settings);
  std::set<std::string> seen;
  for (int i = 0; i < 4; ++i) {
    const auto pick = balancer.pick("pricing");
    ASSERT_TRUE(pick.status.ok());
    EXPECT_TRUE(pick.candidates->panic);
    seen.insert(pick.instance().instance_id);
  }
  EXPECT_EQ(seen.size(), 4u);
}

TEST_F(BalancerTest, TheImplementationIsHandedTheCandidatesAgainOnlyWhenTheyChange) {
  add("a"), add("b");
  hub::Balancer balancer = scripted();
  told.index = 1;
  const auto first = balancer.pick("pricing", "user-42");
  ASSERT_TRUE(first.status.ok());
  EXPECT_EQ(first.instance().instance_id, "b");
  EXPECT_NE(told.key_hash, 0u);  // the key's hash, computed once by the core
  ASSERT_EQ(told.candidates.size(), 2u);
  EXPECT_EQ(told.candidates[0], std::make_pair(std::string("a"), HUB_HEALTH_HEALTHY));

  told.candidates.clear();
  ASSERT_TRUE(balancer.pick("pricing").status.ok());
  EXPECT_TRUE(told.candidates.empty());  // nothing changed: no update
  EXPECT_EQ(told.key_hash, 0u);          // no key, no hash

  ASSERT_TRUE(registry.set_probe_status("pricing", "a", "down"));
  told.index = 0;
  const auto after = balancer.pick("pricing");
  ASSERT_EQ(told.candidates.size(), 1u);
  EXPECT_EQ(after.instance().instance_id, "b");
  // The earlier pick's candidates are its own: the change did not alter them.
  EXPECT_EQ(first.candidates->instances.size(), 2u);
  EXPECT_EQ(first.instance().instance_id, "b");
}

TEST_F(BalancerTest, AnImplementationsBadAnswerIsAnInternalErrorNotACrash) {
  add("a");
  hub::Balancer balancer = scripted();
  told.index = 7;
  const auto out_of_range = balancer.pick("pricing");
  EXPECT_EQ(out_of_range.status.code(), Code::internal);
  EXPECT_NE(out_of_range.status.message().find("picked candidate 7 of 1"), std::string::npos);

  told.refuse_update = true;
  add("b");  // the candidates change, and the implementation refuses them
  const auto refused = balancer.pick("pricing");
  EXPECT_EQ(refused.status.code(), Code::internal);
  EXPECT_NE(refused.status.message().find("no candidates today"), std::string::npos);
}

TEST_F(BalancerTest, HandlesOfServicesThatAreGoneDoNotPileUp) {
  hub::Balancer balancer = round_robin();
  for (int i = 0; i < 5000; ++i) {
    hub::InstanceRecord record = instance("a");
    record.service_name = "svc-" + std::to_string(i);
    ASSERT_TRUE(registry.register_instance(record).status.ok());
    ASSERT_TRUE(balancer.pick(record.service_name).status.ok());
    ASSERT_TRUE(registry.deregister(record.service_name, "a").status.ok());
  }
  EXPECT_LE(balancer.handles(), 4097u);  // swept once past 4,096, not one per name ever seen
  EXPECT_GT(balancer.handles(), 0u);
}

TEST_F(BalancerTest, ALeasedPickIsInFlightUntilItsOutcomeOrItsLeaseEnds) {
  add("a");
  hub::LoadBalancingSettings settings;
  settings.lease_seconds = 5;
  hub::Balancer balancer = round_robin(settings);
  const auto first = balancer.pick("pricing", {}, hub::Balancer::Lease::until_reported);
  const auto second = balancer.pick("pricing", {}, hub::Balancer::Lease::until_reported);
  ASSERT_GT(first.lease, 0);
  EXPECT_EQ(in_flight(balancer, "a"), 2);
  EXPECT_TRUE(balancer.report("pricing", {"a", hub::CallResult::success, 1500, first.lease}));
  EXPECT_EQ(in_flight(balancer, "a"), 1);
  EXPECT_TRUE(balancer.report("pricing", {"a", hub::CallResult::success, 1500, first.lease}));  // reported twice
  EXPECT_EQ(in_flight(balancer, "a"), 0);                                                       // never below zero
  EXPECT_TRUE(balancer.report("pricing", {"a", hub::CallResult::success, 1500, second.lease}));
  EXPECT_EQ(in_flight(balancer, "a"), 0);

  balancer.pick("pricing", {}, hub::Balancer::Lease::until_reported);  // never reported back
  EXPECT_EQ(in_flight(balancer, "a"), 1);
  clock->advance(std::chrono::seconds(4));
  EXPECT_EQ(in_flight(balancer, "a"), 1);
  clock->advance(std::chrono::seconds(2));
  EXPECT_EQ(in_flight(balancer, "a"), 0);  // written off with its lease
  EXPECT_FALSE(balancer.report("pricing", {"nobody", hub::CallResult::success, 1, 0}));
  EXPECT_FALSE(balancer.report("unknown", {"a", hub::CallResult::success, 1, 0}));
}

TEST_F(BalancerTest, LatencyIsAPeakEwmaOfSuccessesAndTimeoutsThatDecays) {
  add("a");
  hub::LoadBalancingSettings settings;
  settings.latency_decay_seconds = 10;
  hub::Balancer balancer = round_robin(settings);
  const auto latency = [&] { return balancer.figures(balancer.pick("pricing").load()).latency_us; };
  EXPECT_EQ(latency(), -1);
  balancer.report("pricing", {"a", hub::CallResult::success, 1000, 0});
  EXPECT_EQ(latency(), 1000);
  balancer.report("pricing", {"a", hub::CallResult::timeout, 9000, 0});
  EXPECT_EQ(latency(), 9000);  // the peak, at once
  balancer.report("pricing", {"a", hub::CallResult::failure, 10, 0});
  balancer.report("pricing", {"a", hub::CallResult::rejected, 10, 0});
  EXPECT_EQ(latency(), 9000);  // fast failures do not make it look quick
  clock->advance(std::chrono::seconds(10));
  EXPECT_NEAR(latency(), 9000 / 2.718, 5);  // one time constant later, without calls
  balancer.report("pricing", {"a", hub::CallResult::success, 1000, 0});
  EXPECT_NEAR(latency(), 9000 * 0.3679 + 1000 * 0.6321, 5);
}

TEST_F(BalancerTest, HeartbeatLoadIsKeptPerInstanceAndGoesWithIt) {
  add("a"), add("b");
  hub::Balancer balancer = round_robin();
  balancer.set_load("pricing", "b", 0.3);  // before any pick: the entry comes with the candidates
  balancer.set_load("pricing", "ghost", 0.9);
  balancer.set_load("unknown", "a", 0.9);
  const auto pick = balancer.pick("pricing");
  EXPECT_EQ(balancer.figures(*pick.candidates->loads[1]).load, 0.3);
  EXPECT_EQ(balancer.figures(*pick.candidates->loads[0]).load, -1);
}

TEST_F(BalancerTest, SlowStartGivesANewcomerAShareThatGrowsOverItsWindow) {
  add("a"), add("b");
  hub::LoadBalancingSettings settings;
  settings.slow_start = {.window_seconds = 100, .aggression = 1.0, .min_weight_percent = 10};
  hub::Balancer balancer = round_robin(settings);
  const auto share_of_c = [&] {
    int c = 0;
    for (int i = 0; i < 3000; ++i) c += balancer.pick("pricing").instance().instance_id == "c";
    return c / 3000.0;
  };
  ASSERT_TRUE(balancer.pick("pricing").status.ok());  // a and b were there first: warm
  add("c");
  // Round robin lands on c a third of the time; at warmth 0.1 it stays with p = 0.1 and each of
  // three more tries lands on c again a third of the time: about 0.1 * 1/3 * (1 + ...) ≈ 0.05.
  EXPECT_LT(share_of_c(), 0.09);
  clock->advance(std::chrono::seconds(50));
  const double half = share_of_c();
  EXPECT_GT(half, 0.15);
  EXPECT_LT(half, 0.30);
  clock->advance(std::chrono::seconds(51));
  EXPECT_NEAR(share_of_c(), 1.0 / 3, 0.01);  // warm: round robin's third, exactly
}

TEST_F(BalancerTest, AnInstanceWhoseSuccessRateFallsFarBelowTheFleetsIsEjected) {
  for (const char* id : {"a", "b", "c", "d", "e"}) add(id);
  hub::LoadBalancingSettings settings;
  settings.outlier_detection = {.consecutive_failures = 0,
                                .base_ejection_seconds = 30,
                                .max_ejection_seconds = 300,
                                .max_ejection_percent = 20,
                                .interval_seconds = 10,
                                .success_rate_minimum_hosts = 5,
                                .success_rate_request_volume = 10,
                                .success_rate_stdev_factor = 1.0};
  hub::Balancer balancer = round_robin(settings);
  std::vector<hub::Balancer::Ejection> told;
  balancer.on_ejection([&](const hub::Balancer::Ejection& ejection) { told.push_back(ejection); });
  ASSERT_TRUE(balancer.pick("pricing").status.ok());
  for (const char* id : {"a", "b", "c", "d", "e"})
    for (int i = 0; i < 10; ++i)
      balancer.report("pricing", {id, std::string(id) == "e" && i % 2 ? hub::CallResult::failure : hub::CallResult::success, 1000, 0});
  balancer.review_outliers();  // mean 90%, deviation 20: below 70% is out
  ASSERT_EQ(told.size(), 1u);
  EXPECT_EQ(told[0].instance_id, "e");
  EXPECT_NE(told[0].reason.find("success rate 50.0%"), std::string::npos) << told[0].reason;
  for (int i = 0; i < 20; ++i) EXPECT_NE(balancer.pick("pricing").instance().instance_id, "e");
  EXPECT_EQ(balancer.ejections("pricing").size(), 1u);
  clock->advance(std::chrono::seconds(30));
  EXPECT_TRUE(balancer.ejections("pricing").empty());
  std::set<std::string> seen;
  for (int i = 0; i < 5; ++i) seen.insert(balancer.pick("pricing").instance().instance_id);
  EXPECT_EQ(seen.size(), 5u);  // back among the candidates
}

TEST_F(BalancerTest, EachEjectionLastsLongerUpToTheCap) {
  add("a"), add("b");
  hub::LoadBalancingSettings settings;
  settings.outlier_detection.consecutive_failures = 1;
  settings.outlier_detection.max_ejection_percent = 50;
  settings.outlier_detection.base_ejection_seconds = 10;
  settings.outlier_detection.max_ejection_seconds = 25;
  hub::Balancer balancer = round_robin(settings);
  ASSERT_TRUE(balancer.pick("pricing").status.ok());
  for (int64_t expected : {10, 20, 25, 25}) {
    balancer.report("pricing", {"a", hub::CallResult::failure, 1000, 0});
    const auto ejections = balancer.ejections("pricing");
    ASSERT_EQ(ejections.size(), 1u);
    EXPECT_EQ(ejections[0].until_us - clock->monotonic_us(), expected * 1'000'000);
    clock->advance(std::chrono::seconds(expected));
  }
}

// Picks, outcomes, ejections, heartbeat loads and candidate changes from many threads at once:
// nothing is lost or counted twice (and tools/dev tsan runs this under ThreadSanitizer).
TEST_F(BalancerTest, ASplitSendsItsShareToTheVersionWhateverTheInstanceCounts) {
  for (const char* id : {"a", "b", "c", "d"}) add(id);
  hub::InstanceRecord canary = instance("e");
  canary.version = "v2";
  ASSERT_TRUE(registry.register_instance(canary).status.ok());
  hub::Balancer balancer = round_robin();
  balancer.set_split("pricing", "v2", 50);  // one instance of five gets half the calls
  std::map<std::string, int> picks;
  for (int i = 0; i < 4000; ++i) ++picks[balancer.pick("pricing").instance().instance_id];
  EXPECT_NEAR(picks["e"], 2000, 200);
  for (const char* id : {"a", "b", "c", "d"}) EXPECT_NEAR(picks[id], 500, 100) << id;

  balancer.set_split("pricing", "v2", 0);
  for (int i = 0; i < 100; ++i) EXPECT_NE(balancer.pick("pricing").instance().instance_id, "e");
  balancer.set_split("pricing", "v2", 100);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(balancer.pick("pricing").instance().instance_id, "e");
  ASSERT_TRUE(registry.set_probe_status("pricing", "e", "down"));
  EXPECT_EQ(balancer.pick("pricing").status.code(), Code::unavailable) << "at 100 the others get nothing, even with e down";
  balancer.set_split("pricing", "v2", 30);
  EXPECT_TRUE(balancer.pick("pricing").status.ok()) << "in between, a side with nobody leaves every call to the other";
  balancer.clear_split("pricing");
  ASSERT_TRUE(registry.set_probe_status("pricing", "e", "healthy"));
  picks.clear();
  for (int i = 0; i < 50; ++i) ++picks[balancer.pick("pricing").instance().instance_id];
  EXPECT_EQ(picks["e"], 10) << "without a split, round robin over all five";
}

TEST_F(BalancerTest, AKeyStaysOnItsSideOfASplit) {
  add("a");
  hub::InstanceRecord canary = instance("b");
  canary.version = "v2";
  ASSERT_TRUE(registry.register_instance(canary).status.ok());
  hub::Balancer balancer = round_robin();
  balancer.set_split("pricing", "v2", 50);
  std::map<std::string, int> sides;
  for (int key = 0; key < 200; ++key) {
    const std::string first = balancer.pick("pricing", "user-" + std::to_string(key)).instance().instance_id;
    for (int again = 0; again < 3; ++again)
      EXPECT_EQ(balancer.pick("pricing", "user-" + std::to_string(key)).instance().instance_id, first);
    ++sides[first];
  }
  EXPECT_NEAR(sides["b"], 100, 30);
}

TEST_F(BalancerTest, ConcurrentPicksReportsAndChangesKeepTheCountsRight) {
  for (const char* id : {"a", "b", "c", "d", "e", "f"}) add(id);
  hub::LoadBalancingSettings settings;
  settings.outlier_detection.consecutive_failures = 3;
  settings.outlier_detection.max_ejection_percent = 34;  // two of six at most
  settings.outlier_detection.base_ejection_seconds = settings.outlier_detection.max_ejection_seconds = 1;
  settings.slow_start.window_seconds = 10;
  static const auto library = hub::PluginLoader{}.add_static("load-balancer-for-race", &load_balancer_plugin);
  hub::Balancer balancer(
      registry, settings,
      [](const std::string& service) {
        return hub::PluginInstance::create(library, *library->find("least_request", HUB_KIND_LOAD_BALANCER), service, {}, {});
      },
      clock);
  constexpr int kThreads = 4, kCalls = 3000;
  std::atomic<bool> go{false};
  std::atomic<int> picked{0};
  std::vector<std::thread> callers;
  for (int t = 0; t < kThreads; ++t)
    callers.emplace_back([&, t] {
      while (!go) std::this_thread::yield();
      for (int i = 0; i < kCalls; ++i) {
        const auto pick = balancer.pick("pricing", {}, hub::Balancer::Lease::until_reported);
        if (!pick.status.ok()) continue;
        ++picked;
        const bool fails = pick.instance().instance_id == "a" && t % 2 == 0;
        balancer.report("pricing",
                        {pick.instance().instance_id, fails ? hub::CallResult::failure : hub::CallResult::success, 1000 + i, pick.lease});
      }
    });
  std::thread changer([&] {  // candidates change underneath: statuses, loads, outlier reviews
    while (!go) std::this_thread::yield();
    for (int i = 0; i < 200; ++i) {
      ASSERT_TRUE(registry.set_probe_status("pricing", "f", i % 2 ? "healthy" : "down"));
      balancer.set_load("pricing", "b", (i % 10) / 10.0);
      balancer.review_outliers();
      std::this_thread::yield();
    }
  });
  go = true;
  for (auto& caller : callers) caller.join();
  changer.join();
  EXPECT_GT(picked.load(), kThreads * kCalls / 2);
  ASSERT_TRUE(registry.set_probe_status("pricing", "f", "healthy"));
  clock->advance(std::chrono::seconds(2));  // every ejection over; every lease (30 s) still open
  const auto pick = balancer.pick("pricing");
  ASSERT_EQ(pick.candidates->instances.size(), 6u);
  for (size_t i = 0; i < pick.candidates->loads.size(); ++i)
    EXPECT_EQ(balancer.figures(*pick.candidates->loads[i]).active_requests, 0u) << pick.candidates->instances[i].instance_id;
}

}  // namespace
