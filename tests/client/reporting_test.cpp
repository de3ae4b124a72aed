// The C++ PerformanceTracker and ErrorReporter against a real hub: what they measure and catch
// reaches GET /performance and GET /errors, in the background and at destruction; kept while the hub
// is away and sent once when it is back; dropped, counted and explained when the hub refuses it.
#include "support/eventually.hpp"
#include "support/registry_hub.hpp"

#include <hub/error_reporter.hpp>
#include <hub/performance_tracker.hpp>
#include <hub/structured_logger.hpp>

#include <Poco/Net/ServerSocket.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <stdexcept>
#include <thread>

namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using namespace std::chrono_literals;

using hub::testing::eventually;

uint16_t closed_port() {
  Poco::Net::ServerSocket probe(Poco::Net::SocketAddress("127.0.0.1", 0));
  return probe.address().port();
}  // closed: nothing listens there now

json operation(hub::testing::TestHub& hub, const std::string& service, const std::string& name) {
  const json all = json::parse(hub.get("/performance?service=" + service).body)["services"];
  return all.contains(service) && all[service].contains(name) ? all[service][name] : json();
}

class Reporting : public ::testing::Test {
 protected:
  hub::testing::TestHub hub_{hub::testing::registry_options()};
};

TEST_F(Reporting, MeasurementsReachTheHubAsTheTrackerCountedThem) {
  hub::PerformanceTracker tracker("api-gateway", {.hub_url = hub_.url(), .interval = 1h});
  for (int i = 0; i < 3; ++i) {
    const auto timing = tracker.measure("websocket_processing");
  }
  EXPECT_THROW(tracker.timed("quote", []() -> int { throw std::runtime_error("no price"); }), std::runtime_error);
  EXPECT_EQ(tracker.timed("quote", [] { return 7; }), 7);
  tracker.record("slow_query", 30ms);
  tracker.record("slow_query", 20s);
  const auto stats = tracker.stats();
  EXPECT_EQ(stats.at("websocket_processing").count, 3u);
  EXPECT_EQ(stats.at("quote").count, 2u);             // the call that threw took time too
  EXPECT_EQ(stats.at("slow_query").p50_ms, 50.0);     // 30 ms: the 25–50 bucket's top at the median rank
  EXPECT_EQ(stats.at("slow_query").p99_ms, 10000.0);  // above the last bound: that bound is all that is known

  ASSERT_TRUE(tracker.flush()) << tracker.last_error();
  const json slow = operation(hub_, "api-gateway", "slow_query");
  EXPECT_EQ(slow["count"], 2);
  EXPECT_DOUBLE_EQ(slow["sum_ms"].get<double>(), 20030.0);
  EXPECT_EQ(slow["buckets"][6], 1);   // (25, 50]
  EXPECT_EQ(slow["buckets"][14], 1);  // above 10 s
  EXPECT_EQ(operation(hub_, "api-gateway", "websocket_processing")["count"], 3);
  // A report is a delta: flushing again sends nothing twice.
  ASSERT_TRUE(tracker.flush());
  EXPECT_EQ(operation(hub_, "api-gateway", "slow_query")["count"], 2);
  EXPECT_THAT(hub_.get("/metrics").body,
              HasSubstr("hub_operation_duration_seconds_count{service=\"api-gateway\",operation=\"slow_query\"} 2"));
}

TEST_F(Reporting, TheTrackerReportsInTheBackgroundAndAtItsEnd) {
  {
    hub::PerformanceTracker tracker("orders", {.hub_url = hub_.url(), .interval = 20ms});
    tracker.record("load", 1ms);
    EXPECT_TRUE(eventually([&] { return operation(hub_, "orders", "load")["count"] == 1; }));
    tracker.record("load", 1ms);
    tracker.record("store", 1ms);
  }
  EXPECT_EQ(operation(hub_, "orders", "load")["count"], 2);
  EXPECT_EQ(operation(hub_, "orders", "store")["count"], 1);
}

TEST(ReportingWhileTheHubIsAway, ATrackerKeepsItsReportAndSendsItOnceTheHubIsBack) {
  const uint16_t port = closed_port();
  hub::PerformanceTracker tracker("orders", {.hub_url = "http://127.0.0.1:" + std::to_string(port), .interval = 1h});
  tracker.record("load", 1ms);
  EXPECT_FALSE(tracker.flush());
  EXPECT_THAT(tracker.last_error(), HasSubstr("cannot reach the hub"));
  tracker.record("load", 2ms);
  hub::HubOptions on_port = hub::testing::registry_options();
  on_port.manifest.listen.port = port;
  hub::testing::TestHub hub(std::move(on_port));
  ASSERT_TRUE(tracker.flush()) << tracker.last_error();
  EXPECT_EQ(tracker.last_error(), "");
  EXPECT_EQ(operation(hub, "orders", "load")["count"], 2);
}

TEST_F(Reporting, AReportTheHubRefusesIsDroppedAndExplained) {
  hub::PerformanceTracker tracker("Not A Service!", {.hub_url = hub_.url(), .interval = 1h});
  tracker.record("load", 1ms);
  EXPECT_FALSE(tracker.flush());
  EXPECT_THAT(tracker.last_error(), HasSubstr("400"));
  EXPECT_TRUE(tracker.flush());  // nothing kept to send again
}

TEST_F(Reporting, ATrackerCountsOperationsBeyondItsCap) {
  hub::PerformanceTracker tracker("orders", {.hub_url = hub_.url(), .interval = 1h, .max_operations = 2});
  for (const char* name : {"a", "b", "c", "c"}) tracker.record(name, 1ms);
  EXPECT_EQ(tracker.dropped(), 2u);
  EXPECT_EQ(tracker.stats().size(), 2u);
}

[[noreturn]] __attribute__((noinline)) void load_order(int id) {
  throw std::out_of_range("order " + std::to_string(id) + " not found");
}

TEST_F(Reporting, ReportedErrorsAreGroupedByTheHubUnderTheReportersFingerprint) {
  hub::ErrorReporter reporter("orders", {.hub_url = hub_.url(), .version = "2.1.0", .instance_id = "orders-1", .interval = 1h});
  std::string fingerprint;
  for (int id = 1; id <= 3; ++id) {
    hub::CorrelationScope request("request-" + std::to_string(id));
    try {
      load_order(id);
    } catch (const std::exception& error) {
      const hub::ErrorPattern pattern = reporter.report(error);
      if (!fingerprint.empty()) {
        EXPECT_EQ(pattern.fingerprint, fingerprint);  // the ids differ; the cause does not
      }
      fingerprint = pattern.fingerprint;
    }
  }
  ASSERT_TRUE(reporter.flush()) << reporter.last_error();
  EXPECT_EQ(reporter.sent(), 3u);
  const auto group = hub_.get("/errors/" + fingerprint);
  ASSERT_EQ(group.status, 200) << "the hub fingerprinted the events differently: " << hub_.get("/errors").body;
  const json found = json::parse(group.body);
  EXPECT_EQ(found["count"], 3);
  EXPECT_EQ(found["type"], "std::out_of_range");
  EXPECT_EQ(found["message"], "order <num> not found");
  EXPECT_EQ(found["versions"], json({"2.1.0"}));
  EXPECT_EQ(found["samples"][2]["correlation_id"], "request-3");
  EXPECT_EQ(found["samples"][2]["instance_id"], "orders-1");
  // The stack is where report() was called: the catch block (the throw's frames are unwound by then).
  EXPECT_THAT(found["samples"][2]["frames"].dump(),
              HasSubstr("ReportedErrorsAreGroupedByTheHubUnderTheReportersFingerprint_Test::TestBody"));
}

TEST_F(Reporting, AFullBatchGoesAtOnceAndTheRestAtTheReportersEnd) {
  {
    hub::ErrorReporter reporter("orders", {.hub_url = hub_.url(), .interval = 1h, .batch_size = 2});
    reporter.report(hub::ErrorDNA().analyze("TimeoutError", "upstream took 3000 ms"));
    reporter.report(hub::ErrorDNA().analyze("TimeoutError", "upstream took 3100 ms"));
    EXPECT_TRUE(eventually([&] { return reporter.sent() == 2; }));
    reporter.report(hub::ErrorDNA().analyze("TimeoutError", "upstream took 3200 ms"));
  }
  const json groups = json::parse(hub_.get("/errors?service=orders").body)["groups"];
  ASSERT_EQ(groups.size(), 1u);
  EXPECT_EQ(groups[0]["count"], 3);
}

TEST(ReportingWhileTheHubIsAway, ErrorsWaitForTheHubUpToTheQueuesCap) {
  const uint16_t port = closed_port();
  hub::ErrorReporter reporter("orders", {.hub_url = "http://127.0.0.1:" + std::to_string(port), .interval = 1h, .max_queue = 3});
  for (int i = 0; i < 5; ++i) reporter.report(hub::ErrorDNA().analyze("KeyError", "'order-" + std::to_string(i) + "'"));
  EXPECT_FALSE(reporter.flush());
  EXPECT_EQ(reporter.dropped(), 2u);  // the two oldest
  hub::HubOptions on_port = hub::testing::registry_options();
  on_port.manifest.listen.port = port;
  hub::testing::TestHub hub(std::move(on_port));
  ASSERT_TRUE(reporter.flush()) << reporter.last_error();
  EXPECT_EQ(reporter.sent(), 3u);
  EXPECT_EQ(json::parse(hub.get("/errors?service=orders").body)["groups"][0]["count"], 3);
}

TEST_F(Reporting, ErrorsTheHubRefusesAreDroppedCountedAndExplained) {
  hub::ErrorReporter reporter("Not A Service!", {.hub_url = hub_.url(), .interval = 1h});
  reporter.report(hub::ErrorDNA().analyze("KeyError", "'order-7'"));
  EXPECT_FALSE(reporter.flush());
  EXPECT_EQ(reporter.dropped(), 1u);
  EXPECT_THAT(reporter.last_error(), HasSubstr("400"));
  EXPECT_TRUE(reporter.flush());
}

}  // namespace
