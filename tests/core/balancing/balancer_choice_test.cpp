// Which load balancer /discover asks: the built-in round_robin unless the
// manifest names an enabled load_balancer implementation, for all services or one.
#include "support/registry_hub.hpp"

#include <hub/errors.hpp>
#include <hub/plugin.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace {

using testing::HasSubstr;

// Always the last candidate: unlike round robin, it never moves.
class LastOne {
 public:
  explicit LastOne(const hub::Context&) {}
  void update(std::span<const hub_lb_candidate> candidates) { count_ = candidates.size(); }
  std::optional<size_t> pick(std::string_view, uint64_t) {
    if (count_ == 0) return std::nullopt;
    return count_ - 1;
  }

 private:
  std::atomic<size_t> count_{0};
};

HUB_PLUGIN_DESCRIPTOR(last_one_plugin, "last-one", "1.0.0", "test balancer", HUB_LOAD_BALANCER("last_one", LastOne))

const std::string kLibraries = std::string(hub::testing::kLiveness) + R"(
    - library: last-one
      enable: [{implementation: last_one, id: sticky}]
)";

hub::HubOptions options(const std::string& load_balancing) {
  hub::HubOptions options = hub::testing::registry_options(kLibraries, nullptr, "{backend: memory}", load_balancing);
  options.static_plugins.push_back({"last-one", &last_one_plugin});
  return options;
}

std::vector<std::string> discovered(hub::testing::TestHub& hub, const std::string& service, int times) {
  for (const char* host : {"10.0.0.1", "10.0.0.2", "10.0.0.3"}) {
    const std::string body = R"({"service_name": ")" + service + R"(", "host": ")" + host + R"(", "port": 80})";
    EXPECT_EQ(hub.post("/register", body).status, 201);
  }
  std::vector<std::string> hosts;
  for (int i = 0; i < times; ++i)
    hosts.push_back(hub::testing::parse_json<hub::api::v1::DiscoverResponse>(hub.get("/discover/" + service)).instance().host());
  return hosts;
}

TEST(BalancerChoice, AServiceTheManifestNamesIsPickedByItsBalancerTheOthersByRoundRobin) {
  hub::testing::TestHub hub(options("load_balancing:\n  services:\n    pricing: {balancer: sticky}\n"));
  EXPECT_EQ(discovered(hub, "pricing", 3), (std::vector<std::string>{"10.0.0.3", "10.0.0.3", "10.0.0.3"}));
  EXPECT_EQ(discovered(hub, "orders", 3), (std::vector<std::string>{"10.0.0.1", "10.0.0.2", "10.0.0.3"}));
}

TEST(BalancerChoice, TheSectionsBalancerServesEveryService) {
  hub::testing::TestHub hub(options("load_balancing: {balancer: sticky}\n"));
  EXPECT_EQ(discovered(hub, "orders", 2), (std::vector<std::string>{"10.0.0.3", "10.0.0.3"}));
}

TEST(BalancerChoice, ABalancerThatIsNotEnabledIsRefusedWithWhereItWasNamed) {
  hub::Hub hub(options("load_balancing:\n  services:\n    pricing: {balancer: stiky}\n"));
  EXPECT_THAT([&] { hub.start(); },
              testing::ThrowsMessage<hub::ManifestError>(
                  HasSubstr("registry-test.yaml:6:25: load_balancing.services.pricing.balancer: 'stiky' is not an enabled load_balancer "
                            "implementation (enabled: sticky)")));
}

TEST(BalancerChoice, ABreakerThatIsNotEnabledIsRefusedWithWhereItWasNamed) {
  hub::Hub hub(options("circuit_breaking:\n  breaker: strict\n"));
  EXPECT_THAT([&] { hub.start(); }, testing::ThrowsMessage<hub::ManifestError>(HasSubstr(
                                        "registry-test.yaml:5:12: circuit_breaking.breaker: 'strict' is not an enabled circuit_breaker "
                                        "implementation (enabled: none; leave breaker out for the built-in sliding_window")));
}

TEST(BalancerChoice, SlowStartAndOutlierSettingsAreCheckedWhereTheyAreWritten) {
  EXPECT_THAT(
      [&] { hub::Hub hub(options("load_balancing:\n  slow_start: {aggression: 0}\n")); },
      testing::ThrowsMessage<hub::ManifestError>(HasSubstr("load_balancing.slow_start.aggression: must be between 0.1 and 10, got 0")));
  EXPECT_THAT([&] { hub::Hub hub(options("load_balancing:\n  outlier_detection: {max_ejection_percent: 101}\n")); },
              testing::ThrowsMessage<hub::ManifestError>(HasSubstr("load_balancing.outlier_detection.max_ejection_percent")));
}

}  // namespace
