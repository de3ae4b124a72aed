// Circuits survive a restart of the hub on every storage backend: an open circuit keeps waiting
// from when it opened, an operator's FORCED_OPEN or DISABLED stays, a closed one leaves no row.
#include "circuit_breaker_plugin.hpp"
#include "support/registry_hub.hpp"
#include "support/scratch_storage.hpp"

#include "storage/storage.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace hub {
namespace {

using Json = nlohmann::json;
using testing::Backend;
using namespace std::chrono_literals;

class CircuitStorage : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    HUB_NEED_BACKEND(GetParam());
    scratch_ = std::make_unique<testing::ScratchStore>(GetParam());
  }
  std::unique_ptr<Storage> open() const { return testing::open_scratch(*scratch_); }
  HubOptions options() const {
    const std::string libraries = std::string(testing::kLiveness) + R"(
    - library: circuit-breaker
      enable: [{implementation: sliding_window, id: strict, config: {minimum_number_of_calls: 1, consecutive_failures: 1, wait_in_open_ms: 60000}}]
)";
    HubOptions options = testing::registry_options(libraries, clock_, scratch_->yaml(), "circuit_breaking: {breaker: strict}\n");
    options.static_plugins.push_back({"circuit-breaker", &circuit_breaker_plugin});
    return options;
  }
  static HttpReply put_state(testing::TestHub& hub, const std::string& service, const std::string& state) {
    HttpCallOptions put;
    put.body = Json{{"state", state}}.dump();
    return http_call("PUT", hub.url() + "/circuits/" + service + "/state", put);
  }

  std::unique_ptr<testing::ScratchStore> scratch_;
  std::shared_ptr<ManualClock> clock_ = std::make_shared<ManualClock>();
};

constexpr int64_t kStart = 1'800'000'000'000'000;

TEST_P(CircuitStorage, KeepsTheLatestStateOfEachAndAClosedOneGoes) {
  auto storage = open();
  storage->save_circuits({{"payments", "OPEN", kStart, kStart, ""}, {"orders", "FORCED_OPEN", 0, kStart, "token:ops"}});
  storage->save_circuits({{"payments", "HALF_OPEN", kStart, kStart + 60'000'000, ""}, {"search", "CLOSED", 0, kStart, ""}});
  auto circuits = storage->load_circuits();
  ASSERT_EQ(circuits.size(), 2u);
  EXPECT_EQ(circuits[0].service, "orders");
  EXPECT_EQ(circuits[0].state, "FORCED_OPEN");
  EXPECT_EQ(circuits[0].opened_at_unix_us, 0);
  EXPECT_EQ(circuits[0].set_by, "token:ops");
  EXPECT_EQ(circuits[1].service, "payments");
  EXPECT_EQ(circuits[1].state, "HALF_OPEN");
  EXPECT_NEAR(static_cast<double>(circuits[1].opened_at_unix_us), static_cast<double>(kStart), 1000.0);
  storage->save_circuits({{"payments", "CLOSED", 0, kStart + 70'000'000, ""}});
  circuits = storage->load_circuits();
  ASSERT_EQ(circuits.size(), 1u);
  EXPECT_EQ(circuits[0].service, "orders");
}

TEST_P(CircuitStorage, AnOpenAndAForcedCircuitComeBackAfterARestart) {
  if (GetParam() == Backend::memory) GTEST_SKIP() << "memory keeps nothing across a restart";
  std::string opened_at;
  {
    testing::TestHub hub(options());
    for (const char* service : {"ml-processing", "orders"})
      ASSERT_EQ(hub.post("/register", Json{{"service_name", service}, {"host", "10.0.0.1"}, {"port", 8001}}.dump()).status, 201);
    ASSERT_EQ(
        hub.post("/outcomes", R"({"outcomes":[{"service_name":"ml-processing","instance_id":"10.0.0.1:8001","result":"failure"}]})").status,
        200);
    const Json open = Json::parse(hub.get("/circuits/ml-processing").body);
    ASSERT_EQ(open["state"], "OPEN");
    opened_at = open["opened_at"];
    ASSERT_EQ(put_state(hub, "orders", "FORCED_OPEN").status, 200);
  }  // the hub stops: its last changes are written
  clock_->advance(30s);
  testing::TestHub hub(options());
  const Json open = Json::parse(hub.get("/circuits/ml-processing").body);
  EXPECT_EQ(open["state"], "OPEN");
  EXPECT_EQ(open["opened_at"], opened_at);  // still waiting from when it opened, not from the restart
  EXPECT_EQ(hub.get("/lb/ml-processing").status, 503);
  EXPECT_EQ(Json::parse(hub.get("/circuits/orders").body)["state"], "FORCED_OPEN");
  clock_->advance(30s);
  EXPECT_EQ(Json::parse(hub.get("/circuits/ml-processing").body)["state"], "HALF_OPEN");  // 60 s after it opened
}

INSTANTIATE_TEST_SUITE_P(Backends, CircuitStorage, testing::kAllBackends, testing::backend_label);

}  // namespace
}  // namespace hub
