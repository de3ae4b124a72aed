// The load-balancer plugin's strategies through the ABI, fed made-up live figures: which candidate
// each prefers, and how many keys ring_hash and maglev move when an instance joins or leaves.
#include "support/strategy_handle.hpp"

#include <hub/errors.hpp>

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

namespace {

// One strategy's handle, with counts of its picks.
class Strategy : public hub::testing::StrategyHandle {
 public:
  using StrategyHandle::StrategyHandle;
  std::map<std::string, int> counts(int picks) {
    std::map<std::string, int> counted;
    for (int i = 0; i < picks; ++i) ++counted[pick()];
    return counted;
  }
};

std::vector<std::string> instances(int count, int from = 0) {
  std::vector<std::string> ids;
  for (int i = from; i < from + count; ++i) ids.push_back("instance-" + std::to_string(i));
  return ids;
}

TEST(LeastRequest, PowerOfTwoChoicesNeverPicksTheBusiestAndAScanPicksTheIdlest) {
  Strategy two("least_request");
  two.update({"a", "b", "c"});
  two.figures[0].active_requests = 10;
  two.figures[2].active_requests = 5;
  const auto counted = two.counts(3000);
  EXPECT_EQ(counted.count("a"), 0u);        // whichever pair is drawn, a loses
  EXPECT_NEAR(counted.at("b"), 2000, 150);  // b wins both pairs it is in: two of three
  Strategy all("least_request", "choice_count: 0");
  all.update({"a", "b", "c"});
  all.figures[0].active_requests = 10;
  all.figures[2].active_requests = 5;
  EXPECT_EQ(all.counts(100), (std::map<std::string, int>{{"b", 100}}));
}

TEST(LeastRequest, WeighsCallsInFlightAgainstWeightWithTheActiveRequestBias) {
  Strategy biased("least_request", "choice_count: 0");
  biased.update({"small", "big"}, {100, 300});
  biased.figures[0].active_requests = 1;  // (1+1)/100 = 0.02
  biased.figures[1].active_requests = 4;  // (4+1)/300 = 0.0167
  EXPECT_EQ(biased.pick(), "big");
  Strategy flat("least_request", "{choice_count: 0, active_request_bias: 2}");
  flat.update({"small", "big"}, {100, 300});
  flat.figures[0].active_requests = 1;  // 4/100 = 0.04
  flat.figures[1].active_requests = 4;  // 25/300 = 0.083
  EXPECT_EQ(flat.pick(), "small");
  EXPECT_THROW(Strategy("least_request", "active_request_bias: -1"), hub::PluginError);
}

TEST(PeakEwma, PrefersLowLatencyTimesCallsInFlightAndCostsTheUnknownAsItsRival) {
  Strategy scan("peak_ewma", "choice_count: 0");
  scan.update({"fast", "slow", "middle"});
  scan.figures[0].latency_us = 1000;
  scan.figures[1].latency_us = 5000;
  scan.figures[2].latency_us = 3000;
  EXPECT_EQ(scan.counts(50), (std::map<std::string, int>{{"fast", 50}}));
  scan.figures[0].active_requests = 5;  // 1000 * 6 > 3000 * 1
  EXPECT_EQ(scan.counts(50), (std::map<std::string, int>{{"middle", 50}}));
  Strategy pair("peak_ewma");
  pair.update({"known", "new"});
  pair.figures[0].latency_us = 2000;
  const auto counted = pair.counts(2000);  // equal cost: neither is flooded nor starved
  EXPECT_GT(counted.at("new"), 800);
  EXPECT_GT(counted.at("known"), 800);
}

TEST(LeastLoad, AnswersTheLeastLoadedAsTheSeedAsks) {
  Strategy strict("least_load", "choice_count: 0");
  strict.update({"data-bridge-1", "data-bridge-2", "data-bridge-3"});
  strict.figures[0].load = 0.9;
  strict.figures[1].load = 0.3;
  strict.figures[2].load = 0.5;
  EXPECT_EQ(strict.counts(20), (std::map<std::string, int>{{"data-bridge-2", 20}}));
  Strategy two("least_load");
  two.update({"data-bridge-1", "data-bridge-2", "data-bridge-3"});
  two.figures[0].load = 0.9;
  two.figures[1].load = 0.3;
  two.figures[2].load = 0.5;
  EXPECT_EQ(two.counts(1000).count("data-bridge-1"), 0u);
}

// Where each of `keys` goes.
std::map<std::string, std::string> placement(Strategy& strategy, int keys) {
  std::map<std::string, std::string> placed;
  for (int i = 0; i < keys; ++i) placed["user-" + std::to_string(i)] = strategy.pick("user-" + std::to_string(i));
  return placed;
}

// The share of keys that moved between two placements, and the share that moved but neither to
// `joined` nor away from `left`: ring hash moves none of those, Maglev a few (its price for balance).
struct Moved {
  double all = 0, needlessly = 0;
};
Moved moved(const std::map<std::string, std::string>& before, const std::map<std::string, std::string>& after, const std::string& joined,
            const std::string& left) {
  Moved share;
  for (const auto& [key, instance] : before) {
    if (after.at(key) == instance) continue;
    share.all += 1;
    share.needlessly += after.at(key) != joined && instance != left;
  }
  share.all /= static_cast<double>(before.size());
  share.needlessly /= static_cast<double>(before.size());
  return share;
}

void expect_consistent(const std::string& implementation, double tolerance, double needless) {
  constexpr int kKeys = 20000;
  Strategy strategy(implementation);
  strategy.update(instances(10));
  const auto ten = placement(strategy, kKeys);
  EXPECT_EQ(placement(strategy, kKeys), ten);  // a key keeps its instance
  std::map<std::string, int> per_instance;
  for (const auto& [key, instance] : ten) ++per_instance[instance];
  ASSERT_EQ(per_instance.size(), 10u);
  for (const auto& [instance, count] : per_instance) EXPECT_NEAR(count, kKeys / 10, kKeys / 10 * tolerance) << instance;

  strategy.update(instances(11));  // instance-10 joins: about 1/11 of the keys move, to it
  const Moved joined = moved(ten, placement(strategy, kKeys), "instance-10", "");
  EXPECT_NEAR(joined.all, 1.0 / 11, 1.0 / 11 * tolerance) << implementation;
  EXPECT_LE(joined.needlessly, needless) << implementation;

  strategy.update(instances(9, 1));  // instance-0 leaves: its keys move
  const Moved left = moved(ten, placement(strategy, kKeys), "", "instance-0");
  EXPECT_NEAR(left.all, 1.0 / 10, 1.0 / 10 * tolerance) << implementation;
  EXPECT_LE(left.needlessly, needless) << implementation;
}

TEST(RingHash, AKeyStaysAndAboutOneNthMovesWhenAnInstanceJoinsOrLeaves) {
  expect_consistent("ring_hash", 0.35, 0);
}

TEST(Maglev, SpreadsKeysEvenlyAndMovesAboutOneNth) {
  expect_consistent("maglev", 0.1, 0.02);
}

TEST(Maglev, FollowsTheWeightsAndRefusesATableSizeThatIsNotPrime) {
  Strategy weighted("maglev");
  weighted.update({"light", "heavy"}, {100, 300});
  const auto placed = placement(weighted, 20000);
  int heavy = 0;
  for (const auto& [key, instance] : placed) heavy += instance == "heavy";
  EXPECT_NEAR(heavy, 15000, 300);
  EXPECT_THROW(Strategy("maglev", "table_size: 65536"), hub::PluginError);
}

TEST(RingHash, WithoutAKeyPicksSpreadAndTheRingFollowsTheWeights) {
  Strategy ring("ring_hash", "points_per_instance: 1024");
  ring.update({"light", "heavy"}, {100, 300});
  const auto counted = ring.counts(20000);
  EXPECT_NEAR(counted.at("heavy"), 15000, 900);
  EXPECT_THROW(Strategy("ring_hash", "points_per_instance: 0"), hub::PluginError);
}

}  // namespace
