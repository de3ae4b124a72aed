// GET /lb/{service} and POST /outcomes on a live hub: the seed's answer, the hub's count of calls
// in flight over every caller, key affinity, and bad input refused whole.
#include "hub/api/v1/balancing.pb.h"
#include "load_balancer_plugin.hpp"
#include "support/registry_hub.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <set>

namespace {

using Json = nlohmann::json;

hub::HubOptions options(const std::string& implementation, const std::string& config = "{}") {
  const std::string libraries = std::string(hub::testing::kLiveness) + R"(
    - library: load-balancer
      enable: [{implementation: )" +
                                implementation + ", id: chosen, config: " + config + "}]\n";
  hub::HubOptions options = hub::testing::registry_options(libraries, nullptr, "{backend: memory}", "load_balancing: {balancer: chosen}\n");
  options.static_plugins.push_back({"load-balancer", &load_balancer_plugin});
  return options;
}

void add(hub::testing::TestHub& hub, const std::string& service, const std::string& host, int port = 8001) {
  ASSERT_EQ(hub.post("/register", Json{{"service_name", service}, {"host", host}, {"port", port}}.dump()).status, 201);
}

hub::api::v1::BalancedEndpoint lb(hub::testing::TestHub& hub, const std::string& path) {
  const auto reply = hub.get(path);
  EXPECT_EQ(reply.status, 200) << reply.body;
  return hub::testing::parse_json<hub::api::v1::BalancedEndpoint>(reply);
}

std::string outcome(const hub::api::v1::BalancedEndpoint& picked, const std::string& result = "success", double ms = 12.5) {
  return Json{{"outcomes",
               {{{"service_name", picked.service_name()},
                 {"instance_id", picked.instance_id()},
                 {"result", result},
                 {"duration_ms", ms},
                 {"lease", picked.lease()}}}}}
      .dump();
}

TEST(LbApi, AnswersTheSeedsBestAvailableInstanceWithItsLoad) {
  hub::testing::TestHub hub(options("least_load", "{choice_count: 0}"));
  const char* loads[] = {"0.9", "0.3", "0.5"};
  for (int i = 1; i <= 3; ++i) {
    add(hub, "data-bridge", "data-bridge-" + std::to_string(i));
    ASSERT_EQ(hub.post("/heartbeat", R"({"service_name": "data-bridge", "instance_id": "data-bridge-)" + std::to_string(i) +
                                         R"(:8001", "metrics": {"load": )" + loads[i - 1] + "}}")
                  .status,
              200);
  }
  const auto best = lb(hub, "/lb/data-bridge");
  EXPECT_EQ(best.host(), "data-bridge-2");
  EXPECT_EQ(best.port(), 8001u);
  EXPECT_DOUBLE_EQ(best.load(), 0.3);
  EXPECT_EQ(best.instance_id(), "data-bridge-2:8001");
  EXPECT_EQ(best.url(), "http://data-bridge-2:8001");
  EXPECT_GT(best.lease(), 0);
  EXPECT_EQ(best.in_flight(), 1u);
  const Json raw = Json::parse(hub.get("/lb/data-bridge").body);  // the seed reads these three keys
  EXPECT_EQ(raw["host"], "data-bridge-2");
  EXPECT_EQ(raw["port"], 8001);
  EXPECT_EQ(raw["load"], 0.3);

  const auto refused =
      hub.post("/heartbeat", R"({"service_name": "data-bridge", "instance_id": "data-bridge-1:8001", "metrics": {"load": 75}})");
  EXPECT_EQ(refused.status, 400);
  EXPECT_NE(refused.body.find("metrics.load"), std::string::npos) << refused.body;
  EXPECT_EQ(lb(hub, "/lb/data-bridge").host(), "data-bridge-2");  // the refused beat changed nothing
}

TEST(LbApi, LeastRequestSeesTheCallsEveryCallerHasInFlight) {
  hub::testing::TestHub hub(options("least_request", "{choice_count: 0}"));
  add(hub, "pricing", "10.0.0.1"), add(hub, "pricing", "10.0.0.2");
  const auto first = lb(hub, "/lb/pricing");
  const auto second = lb(hub, "/lb/pricing");  // another caller: the first call is still in flight
  EXPECT_NE(first.host(), second.host());
  const auto third = lb(hub, "/lb/pricing");
  EXPECT_EQ(third.in_flight(), 2u);
  Json batch = Json::parse(outcome(first));
  batch["outcomes"].push_back(Json::parse(outcome(third))["outcomes"][0]);
  const auto done = hub.post("/outcomes", batch.dump());
  ASSERT_EQ(done.status, 200) << done.body;
  EXPECT_EQ(Json::parse(done.body)["accepted"], 2);
  // Left in flight: the second call only, so the next goes to the first call's instance.
  const auto fourth = lb(hub, "/lb/pricing");
  EXPECT_EQ(fourth.host(), first.host());
  EXPECT_EQ(fourth.in_flight(), 1u);
}

// What the dashboard shows per instance: calls in flight through the hub, their latency, the reported load.
TEST(LbApi, EachInstancesLiveLoadIsReadable) {
  hub::testing::TestHub hub(options("least_request", "{choice_count: 0}"));
  add(hub, "pricing", "10.0.0.1"), add(hub, "pricing", "10.0.0.2");
  ASSERT_EQ(hub.post("/heartbeat", R"({"service_name": "pricing", "instance_id": "10.0.0.1:8001", "metrics": {"load": 0.25}})").status,
            200);
  const auto first = lb(hub, "/lb/pricing");
  lb(hub, "/lb/pricing");
  ASSERT_EQ(hub.post("/outcomes", outcome(first, "success", 20)).status, 200);
  const Json loads = Json::parse(hub.get("/lb/pricing/load").body)["instances"];
  ASSERT_EQ(loads.size(), 2u) << loads.dump();
  const std::string other = first.host() == "10.0.0.1" ? "10.0.0.2:8001" : "10.0.0.1:8001";
  EXPECT_EQ(loads[first.instance_id()]["in_flight"], 0);  // reported
  EXPECT_EQ(loads[other]["in_flight"], 1);                // still out
  EXPECT_GT(loads[first.instance_id()]["latency_ms"].get<double>(), 0);
  EXPECT_TRUE(loads[other]["latency_ms"].is_null());  // no call of it has ended
  EXPECT_EQ(loads["10.0.0.1:8001"]["load"], 0.25);
  EXPECT_TRUE(loads["10.0.0.2:8001"]["load"].is_null());
  EXPECT_EQ(hub.get("/lb/no-such-service/load").status, 404);
}

TEST(LbApi, AKeyKeepsItsInstanceWithRingHashAndMaglev) {
  for (const char* implementation : {"ring_hash", "maglev"}) {
    hub::testing::TestHub hub(options(implementation));
    for (int i = 1; i <= 5; ++i) add(hub, "orders", "10.0.0." + std::to_string(i));
    const std::string host = lb(hub, "/lb/orders?key=user-42").host();
    for (int i = 0; i < 20; ++i) EXPECT_EQ(lb(hub, "/lb/orders?key=user-42").host(), host) << implementation;
    std::set<std::string> hosts;
    for (int i = 0; i < 200; ++i) hosts.insert(lb(hub, "/lb/orders?key=user-" + std::to_string(i)).host());
    EXPECT_EQ(hosts.size(), 5u) << implementation;  // keys spread over every instance
  }
}

TEST(LbApi, BadInputIsRefusedWholeAndNamesWhatWasWrong) {
  hub::testing::TestHub hub(options("least_request", "{choice_count: 0}"));
  add(hub, "pricing", "10.0.0.1");
  EXPECT_EQ(hub.get("/lb/nobody").status, 404);
  EXPECT_EQ(hub.get("/lb/pricing?colour=red").status, 400);
  EXPECT_EQ(hub.get("/lb/pricing?key=" + std::string(300, 'k')).status, 400);
  const auto picked = lb(hub, "/lb/pricing");
  ASSERT_EQ(picked.in_flight(), 1u);

  Json batch = Json::parse(outcome(picked));
  batch["outcomes"].push_back({{"service_name", "pricing"}, {"instance_id", "10.0.0.1:8001"}, {"result", "meh"}});
  const auto refused = hub.post("/outcomes", batch.dump());
  EXPECT_EQ(refused.status, 400);
  EXPECT_NE(refused.body.find("outcomes[1].result"), std::string::npos) << refused.body;
  EXPECT_EQ(lb(hub, "/lb/pricing").in_flight(), 2u);  // the valid first outcome was not applied either

  for (const char* bad : {R"({"outcomes":[{"service_name":"pricing","instance_id":"10.0.0.1:8001","result":"success","duration_ms":-1}]})",
                          R"({"outcomes":[{"instance_id":"10.0.0.1:8001","result":"success"}]})",
                          R"({"outcomes":[{"service_name":"pricing","instance_id":"10.0.0.1:8001","result":"success","lease":-5}]})",
                          R"({"outcomes": "many"})", ""})
    EXPECT_EQ(hub.post("/outcomes", bad).status, 400) << bad;
  Json many{{"outcomes", Json::array()}};
  for (int i = 0; i < 1001; ++i) many["outcomes"].push_back({{"service_name", "pricing"}, {"instance_id", "x"}, {"result", "success"}});
  EXPECT_EQ(hub.post("/outcomes", many.dump()).status, 400);

  const auto unknown = hub.post("/outcomes", R"({"outcomes":[{"service_name":"pricing","instance_id":"ghost","result":"success"},
                                   {"service_name":"nobody","instance_id":"10.0.0.1:8001","result":"failure"}]})");
  ASSERT_EQ(unknown.status, 200);
  EXPECT_EQ(Json::parse(unknown.body)["unknown"], 2);
  EXPECT_EQ(Json::parse(unknown.body)["accepted"], 0);
}

TEST(LbApi, ADrainingInstanceGetsNoNewCallsUntilItAsksAgain) {
  hub::testing::TestHub hub(options("round_robin"));
  add(hub, "pricing", "10.0.0.1"), add(hub, "pricing", "10.0.0.2");
  const auto drained = hub.post("/drain", R"({"service_name": "pricing", "instance_id": "10.0.0.1:8001"})");
  ASSERT_EQ(drained.status, 200) << drained.body;
  EXPECT_EQ(Json::parse(drained.body)["draining"], true);
  for (int i = 0; i < 6; ++i) {
    EXPECT_EQ(lb(hub, "/lb/pricing").host(), "10.0.0.2");
    EXPECT_EQ(Json::parse(hub.get("/discover/pricing").body)["instance"]["host"], "10.0.0.2");
  }
  ASSERT_EQ(hub.post("/drain", R"({"service_name": "pricing", "instance_id": "10.0.0.1:8001", "draining": false})").status, 200);
  std::set<std::string> hosts;
  for (int i = 0; i < 4; ++i) hosts.insert(lb(hub, "/lb/pricing").host());
  EXPECT_EQ(hosts.size(), 2u);
  EXPECT_EQ(hub.post("/drain", R"({"service_name": "pricing", "instance_id": "ghost"})").status, 404);
  EXPECT_EQ(hub.post("/drain", R"({"service_name": "nobody", "instance_id": "x"})").status, 404);
  EXPECT_EQ(hub.post("/drain", R"({"service_name": "pricing"})").status, 400);
  // Every instance draining: nobody to call.
  hub.post("/drain", R"({"service_name": "pricing", "instance_id": "10.0.0.1:8001"})");
  hub.post("/drain", R"({"service_name": "pricing", "instance_id": "10.0.0.2:8001"})");
  const auto none = hub.get("/lb/pricing");
  EXPECT_EQ(none.status, 503);
  EXPECT_NE(none.body.find("no instance to call: 2 draining or ejected"), std::string::npos) << none.body;
}

}  // namespace
