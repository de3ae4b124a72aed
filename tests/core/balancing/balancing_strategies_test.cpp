// The load-balancer plugin's strategies, chosen in the manifest and picked through /discover:
// each one's distribution over the instances of a service.
#include "load_balancer_plugin.hpp"
#include "support/registry_hub.hpp"
#include "weighted_round_robin.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>

namespace {

hub::HubOptions options(const std::string& implementation) {
  const std::string libraries = std::string(hub::testing::kLiveness) + R"(
    - library: load-balancer
      enable: [{implementation: )" +
                                implementation + R"(, id: chosen}]
)";
  hub::HubOptions options = hub::testing::registry_options(libraries, nullptr, "{backend: memory}", "load_balancing: {balancer: chosen}\n");
  options.static_plugins.push_back({"load-balancer", &load_balancer_plugin});
  return options;
}

// Registers a, b and c with these weights, then asks /discover `times` times: the hosts in order.
std::vector<std::string> discovered(hub::testing::TestHub& hub, std::vector<int> weights, int times) {
  const char* hosts[] = {"10.0.0.1", "10.0.0.2", "10.0.0.3"};
  for (size_t i = 0; i < weights.size(); ++i)
    EXPECT_EQ(hub.post("/register", R"({"service_name": "pricing", "host": ")" + std::string(hosts[i]) + R"(", "port": 80, "weight": )" +
                                        std::to_string(weights[i]) + "}")
                  .status,
              201);
  std::vector<std::string> picked;
  for (int i = 0; i < times; ++i)
    picked.push_back(hub::testing::parse_json<hub::api::v1::DiscoverResponse>(hub.get("/discover/pricing")).instance().host());
  return picked;
}

std::map<std::string, int> counts(const std::vector<std::string>& picked) {
  std::map<std::string, int> counted;
  for (const std::string& host : picked) ++counted[host];
  return counted;
}

TEST(WeightedRoundRobin, PicksInProportionToWeightAndSpreadsThePicksOut) {
  hub::testing::TestHub hub(options("weighted_round_robin"));
  const auto picked = discovered(hub, {5, 1, 1}, 70);
  EXPECT_EQ(counts(picked), (std::map<std::string, int>{{"10.0.0.1", 50}, {"10.0.0.2", 10}, {"10.0.0.3", 10}}));
  // nginx's smooth order: a a b a c a a, never five of a in a row.
  EXPECT_THAT(std::vector<std::string>(picked.begin(), picked.begin() + 7),
              testing::ElementsAre("10.0.0.1", "10.0.0.1", "10.0.0.2", "10.0.0.1", "10.0.0.3", "10.0.0.1", "10.0.0.1"));
}

TEST(WeightedRoundRobin, EqualWeightsAreRoundRobinAndHugeOnesStayBounded) {
  hub::testing::TestHub hub(options("weighted_round_robin"));
  EXPECT_EQ(counts(discovered(hub, {100, 100, 100}, 30)),
            (std::map<std::string, int>{{"10.0.0.1", 10}, {"10.0.0.2", 10}, {"10.0.0.3", 10}}));
  const auto weights = hub::load_balancer::WeightedRoundRobin::weights_of(
      std::vector<hub_lb_candidate>{{sizeof(hub_lb_candidate), {}, {}, 0, 1'000'000, HUB_HEALTH_HEALTHY, -1, -1, 0},
                                    {sizeof(hub_lb_candidate), {}, {}, 0, 3, HUB_HEALTH_HEALTHY, -1, -1, 0},
                                    {sizeof(hub_lb_candidate), {}, {}, 0, 0, HUB_HEALTH_HEALTHY, -1, -1, 0}});
  EXPECT_LE(weights[0] + weights[1] + weights[2], hub::load_balancer::WeightedRoundRobin::kMaxCycle + 2);
  EXPECT_GE(weights[1], 1u);  // a small weight is never scaled to nothing
  EXPECT_EQ(weights[2], 1u);  // nor is a zero one
}

TEST(RandomBalancer, SpreadsPicksAboutEvenly) {
  hub::testing::TestHub hub(options("random"));
  const auto counted = counts(discovered(hub, {100, 100, 100}, 3000));
  ASSERT_EQ(counted.size(), 3u);
  // 1,000 expected each; a binomial's standard deviation here is 26, so 850-1,150 fails about once in 10^8 runs.
  for (const auto& [host, count] : counted) {
    EXPECT_GT(count, 850) << host;
    EXPECT_LT(count, 1150) << host;
  }
}

}  // namespace
