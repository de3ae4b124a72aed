// POST /errors and GET /errors over HTTP on a live hub: batches checked whole, a service token
// reports only its own service, new errors and spikes raised as alerts, the groups in /metrics, and a
// spike that opens an opted-in service's circuit.
#include "support/registry_hub.hpp"
#include "support/secured_hub.hpp"

#include <hub/errors.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <chrono>
#include <thread>

namespace hub {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using testing::kAdminToken;
using testing::SecuredHub;

std::string batch(const std::string& service, int count, const std::string& message = "'order-7'") {
  json events = json::array();
  for (int i = 0; i < count; ++i)
    events.push_back({{"service", service},
                      {"version", "2.1.0"},
                      {"host", "web-" + std::to_string(i % 3)},
                      {"type", "KeyError"},
                      {"message", message},
                      {"frames", {{{"module", "orders.api"}, {"function", "load"}, {"line", 10 + i}, {"in_app", true}}}}});
  return json{{"events", events}}.dump();
}

const std::string kMonitored = "errors: {window_seconds: 60, floor_per_minute: 5}\nhealth_monitoring: {check_interval_seconds: 60}\n";

TEST(ErrorsApi, EventsAreGroupedAndServedWithTheirSamples) {
  testing::TestHub hub(testing::registry_options(testing::kLiveness, nullptr, "{backend: memory}", kMonitored));
  const HttpReply posted = hub.post("/errors", batch("orders", 3));
  ASSERT_EQ(posted.status, 200) << posted.body;
  const json answer = json::parse(posted.body);
  EXPECT_EQ(answer["accepted"], 3);
  EXPECT_EQ(answer["new_groups"], 1);
  const std::string fingerprint = answer["fingerprints"][0];
  EXPECT_THAT(answer["fingerprints"], ::testing::Each(fingerprint));  // the line numbers differ; the cause does not
  const json listed = json::parse(hub.get("/errors?service=orders&limit=10").body);
  ASSERT_EQ(listed["groups"].size(), 1u);
  EXPECT_EQ(listed["groups"][0]["count"], 3);
  EXPECT_EQ(listed["groups"][0]["hosts"], json({"web-0", "web-1", "web-2"}));
  EXPECT_EQ(json::parse(hub.get("/errors?service=billing").body)["total"], 0);
  EXPECT_EQ(json::parse(hub.get("/errors?since=4102444800").body)["total"], 0);  // 2100
  const json group = json::parse(hub.get("/errors/" + fingerprint).body);
  EXPECT_EQ(group["samples"].size(), 3u);
  EXPECT_EQ(group["samples"][0]["frames"][0]["line"], 10);
  EXPECT_EQ(hub.get("/errors/ffff").status, 404);
  EXPECT_THAT(hub.get("/metrics").body, HasSubstr("hub_error_events_total{service=\"orders\"} 3"));
  // The first sighting is an alert; 3 a minute is under the floor of 5: no spike yet.
  std::string alerts = hub.get("/health/alerts").body;
  EXPECT_THAT(alerts, HasSubstr("\"new_error\""));
  EXPECT_THAT(alerts, ::testing::Not(HasSubstr("\"error_spike\"")));
  ASSERT_EQ(hub.post("/errors", batch("orders", 5)).status, 200);
  alerts = hub.get("/health/alerts").body;
  EXPECT_THAT(alerts, HasSubstr("\"error_spike\""));
  EXPECT_THAT(alerts, HasSubstr(fingerprint));
  EXPECT_TRUE(json::parse(hub.get("/errors/services").body)["services"]["orders"]["spiking"]);
}

TEST(ErrorsApi, ABadBatchIsRefusedWholeNamingWhatIsWrong) {
  testing::TestHub hub(testing::registry_options(testing::kLiveness, nullptr, "{backend: memory}", "errors: {max_batch: 5}\n"));
  const auto refused = [&](const std::string& body, const std::string& says) {
    const HttpReply reply = hub.post("/errors", body);
    EXPECT_EQ(reply.status, 400) << body;
    EXPECT_THAT(reply.body, HasSubstr(says)) << body;
  };
  refused("not json", "invalid JSON body");
  refused(R"({"event": []})", "the body must be");
  refused(batch("orders", 6), "events: at most 5 in one batch, got 6");
  refused(R"({"events":[{"service":"orders","type":"E"},{"service":"orders"}]})", "events[1].type: required");
  refused(R"({"events":[{"service":"orders","type":"E","message":7}]})", "events[0].message: must be a string, got number");
  refused(R"({"events":[{"service":"no spaces","type":"E"}]})", "events[0].service");
  refused(R"({"events":[{"service":"orders","type":"E","frames":{}}]})", "events[0].frames: must be a list");
  refused(R"({"events":[{"service":"orders","type":"E","frames":[{"module":"m"}]}]})", "events[0].frames[0].function: required");
  refused(R"({"events":[{"service":"orders","type":"E","frames":[{"function":"f","line":-1}]}]})", "frames[0].line");
  refused(R"({"events":[{"service":"orders","type":"E","frames":[{"function":"f","in_app":"yes"}]}]})", "frames[0].in_app");
  refused(R"({"events":[{"service":"orders","type":"E","at":"yesterday"}]})", "events[0].at");
  refused(R"({"events":[{"service":"orders","type":")" + std::string(2000, 'x') + R"("}]})", "events[0].type: longer than 1024 bytes");
  json deep = {{"service", "orders"}, {"type", "E"}, {"frames", json::array()}};
  for (int i = 0; i < 101; ++i) deep["frames"].push_back({{"function", "f" + std::to_string(i)}});
  refused(json{{"events", {deep}}}.dump(), "events[0].frames: at most 100, got 101");
  EXPECT_EQ(json::parse(hub.get("/errors").body)["total"], 0);  // nothing of any was taken
  EXPECT_EQ(hub.get("/errors?limit=0").status, 400);
  EXPECT_EQ(hub.get("/errors?colour=red").status, 400);
  EXPECT_EQ(hub.get("/errors?since=soon").status, 400);
  // Terminal escapes in a message are not passed on.
  ASSERT_EQ(hub.post("/errors", R"({"events":[{"service":"orders","type":"E","message":"bad\u001b[31m red"}]})").status, 200);
  EXPECT_THAT(hub.get("/errors").body, ::testing::Not(HasSubstr("\\u001b")));
}

TEST(ErrorsApi, AServiceTokenReportsItsOwnServiceOnly) {
  SecuredHub hub;
  const std::string orders = hub.token("service:orders");
  EXPECT_EQ(hub.call("POST", "/errors", orders, batch("orders", 1)).status, 200);
  const HttpReply other = hub.call("POST", "/errors", orders, batch("billing", 1));
  EXPECT_EQ(other.status, 403);
  EXPECT_THAT(other.body, HasSubstr("billing"));
  EXPECT_EQ(hub.call("POST", "/errors", hub.token("operator"), batch("billing", 1)).status, 200);
  EXPECT_EQ(hub.call("POST", "/errors", hub.token("reader"), batch("orders", 1)).status, 403);
  EXPECT_EQ(json::parse(hub.call("GET", "/errors", hub.token("reader")).body)["total"], 1);  // both in one group
  EXPECT_EQ(hub.call("GET", "/errors", "").status, 401);
  EXPECT_EQ(hub.call("POST", "/errors", kAdminToken, batch("anything", 1)).status, 200);
}

// Spikes that act: a service that opted in has its circuit forced open for the cool-down, and its
// callers get 503 circuit_open from /lb; then the breaker's own state is back.
TEST(ErrorsApi, AnErrorSpikeOpensTheCircuitOfAServiceThatOptedInForItsCoolDown) {
  auto clock = std::make_shared<ManualClock>();
  HubOptions options =
      testing::registry_options(testing::kLiveness, clock, "{backend: memory}",
                                "errors: {window_seconds: 60, floor_per_minute: 5, open_circuit_on_spike: {orders: 30}}\n");
  options.housekeeping_interval = std::chrono::milliseconds(20);
  testing::TestHub hub(std::move(options));
  for (const char* service : {"orders", "billing"})
    ASSERT_EQ(hub.post("/register", json{{"service_name", service}, {"host", "10.0.0.1"}, {"port", 80}}.dump()).status, 201);
  const auto circuit = [&](const std::string& service) { return json::parse(hub.get("/circuits/" + service).body)["state"]; };
  ASSERT_EQ(hub.post("/errors", batch("billing", 8)).status, 200);  // billing spikes, but did not opt in
  ASSERT_EQ(hub.post("/errors", batch("orders", 4)).status, 200);   // under the floor
  EXPECT_EQ(circuit("orders"), "CLOSED");
  ASSERT_EQ(hub.post("/errors", batch("orders", 4)).status, 200);  // 8 a minute: a spike
  EXPECT_EQ(circuit("orders"), "FORCED_OPEN");
  EXPECT_EQ(circuit("billing"), "CLOSED");
  const HttpReply refused = hub.get("/lb/orders");
  EXPECT_EQ(refused.status, 503);
  EXPECT_THAT(refused.body, HasSubstr("circuit_open"));
  clock->advance(std::chrono::seconds(31));
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (circuit("orders") != "CLOSED" && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));  // the next housekeeping pass ends the cool-down
  EXPECT_EQ(circuit("orders"), "CLOSED");
  EXPECT_EQ(hub.get("/lb/orders").status, 200);
  // An operator's word is not overridden by a spike.
  HttpCallOptions put;
  put.body = R"({"state":"DISABLED"})";
  ASSERT_EQ(http_call("PUT", hub.url() + "/circuits/orders/state", put).status, 200);
  clock->advance(std::chrono::minutes(5));
  ASSERT_EQ(hub.post("/errors", batch("orders", 8)).status, 200);
  EXPECT_EQ(circuit("orders"), "DISABLED");
}

TEST(ErrorsApi, OnlyRealServiceNamesMayOptIn) {
  EXPECT_THROW(
      testing::registry_options(testing::kLiveness, nullptr, "{backend: memory}", "errors: {open_circuit_on_spike: {\"no way\": 30}}\n"),
      ManifestError);
  EXPECT_THROW(
      testing::registry_options(testing::kLiveness, nullptr, "{backend: memory}", "errors: {open_circuit_on_spike: {orders: 0}}\n"),
      ManifestError);
}

}  // namespace
}  // namespace hub
