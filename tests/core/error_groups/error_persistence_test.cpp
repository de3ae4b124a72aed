// Error groups, services' error rates and performance totals survive a restart of the hub on every
// storage backend: a known error is not new again, its baseline is kept, forgotten groups leave no
// row, an unreadable row is skipped alone, and the totals are served and exported as before.
#include "error_groups/error_groups.hpp"
#include "performance/performance_reports.hpp"
#include "support/registry_hub.hpp"
#include "support/scratch_storage.hpp"

#include "storage/storage.hpp"

#include <hub/errors.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace hub {
namespace {

using Json = nlohmann::json;
using testing::Backend;
using ::testing::HasSubstr;
using namespace std::chrono_literals;

constexpr int64_t kStart = 1'800'000'000'000'000;

std::string batch(const std::string& service, const std::string& type, int count) {
  Json events = Json::array();
  for (int i = 0; i < count; ++i)
    events.push_back({{"service", service},
                      {"version", "2.1.0"},
                      {"host", "web-" + std::to_string(i % 2)},
                      {"type", type},
                      {"message", "order " + std::to_string(1000 + i) + " not found"},
                      {"frames", {{{"module", "orders.api"}, {"function", "load"}, {"line", 10 + i}, {"in_app", true}}}}});
  return Json{{"events", events}}.dump();
}

class ErrorStorage : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    HUB_NEED_BACKEND(GetParam());
    scratch_ = std::make_unique<testing::ScratchStore>(GetParam());
  }
  std::unique_ptr<Storage> open() const { return testing::open_scratch(*scratch_); }
  HubOptions options(const std::string& errors = "errors: {window_seconds: 60, floor_per_minute: 1000}\n") const {
    return testing::registry_options(testing::kLiveness, clock_, scratch_->yaml(), errors);
  }
  error_groups::ErrorGroups groups(const ErrorSettings& settings = {}) { return {settings, clock_, events_, metrics_}; }

  std::unique_ptr<testing::ScratchStore> scratch_;
  std::shared_ptr<ManualClock> clock_ = std::make_shared<ManualClock>(kStart);
  EventBus events_;
  Metrics metrics_;
};

error_groups::ErrorEvent event(const std::string& service, const std::string& type) {
  return {.service = service,
          .version = "1.0.0",
          .host = "web-1",
          .type = type,
          .message = "it broke",
          .frames = {{.module = "orders.api", .function = "load", .in_app = true}}};
}

TEST_P(ErrorStorage, ChangedGroupsAreWrittenAndReadBackWithTheirBaselines) {
  auto storage = open();
  auto before = groups();
  for (int minute = 0; minute < 10; ++minute) {  // 4 a minute for 10 minutes: a baseline of about 4
    before.ingest({event("orders", "KeyError"), event("orders", "KeyError"), event("orders", "KeyError"), event("orders", "KeyError")});
    clock_->advance(60s);
  }
  before.ingest({event("billing", "TimeoutError")});
  before.save(*storage);
  const StoredErrorGroups stored = storage->load_error_groups();
  ASSERT_EQ(stored.groups.size(), 2u);
  EXPECT_EQ(stored.rates.size(), 2u);

  auto after = groups();
  EXPECT_EQ(after.restore(stored), 0u);
  EXPECT_EQ(after.size(), 2u);
  const Json listed = after.list("orders", 0, 10);
  ASSERT_EQ(listed["groups"].size(), 1u);
  EXPECT_EQ(listed["groups"][0]["count"], 40);
  EXPECT_EQ(listed["groups"][0]["hosts"], Json({"web-1"}));
  EXPECT_EQ(listed["groups"][0]["baseline_per_minute"], before.list("orders", 0, 10)["groups"][0]["baseline_per_minute"]);
  EXPECT_GT(listed["groups"][0]["baseline_per_minute"].get<double>(), 1.0);
  EXPECT_EQ(after.services()["orders"], before.services()["orders"]);
  // The same error again is an old one: no new group.
  EXPECT_EQ(after.ingest({event("orders", "KeyError")}).new_groups, 0u);
  // Nothing changed since: nothing more to write.
  auto unchanged = groups();
  unchanged.restore(stored);
  unchanged.save(*storage);
  EXPECT_EQ(storage->load_error_groups().groups.size(), 2u);
}

TEST_P(ErrorStorage, ForgottenGroupsLeaveNoRowEvenWhenTooManyToName) {
  auto storage = open();
  ErrorSettings small;
  small.max_groups = 3;
  auto errors = groups(small);
  for (const char* type : {"A", "B", "C"}) {
    errors.ingest({event("orders", type)});
    clock_->advance(1s);
  }
  errors.save(*storage);
  ASSERT_EQ(storage->load_error_groups().groups.size(), 3u);
  // Ten new ones push out more than max_groups names: the rows go by age instead.
  for (int i = 0; i < 10; ++i) {
    errors.ingest({event("orders", "Flood" + std::to_string(i))});
    clock_->advance(1s);
  }
  errors.save(*storage);
  const StoredErrorGroups stored = storage->load_error_groups();
  ASSERT_EQ(stored.groups.size(), 3u);
  for (const ErrorGroupRecord& record : stored.groups) EXPECT_THAT(record.type, HasSubstr("Flood"));
  // Retention: a group not seen for 30 days goes, from memory and from storage.
  clock_->advance(31 * 24h);
  errors.sweep();
  errors.save(*storage);
  EXPECT_TRUE(storage->load_error_groups().groups.empty());
}

TEST_P(ErrorStorage, AnUnreadableRowIsSkippedAloneAndTheRestComeBack) {
  auto storage = open();
  auto errors = groups();
  errors.ingest({event("orders", "KeyError")});
  errors.save(*storage);
  ErrorGroupChanges broken;
  broken.groups.push_back({"0123456789abcdef0123456789abcdef", "orders", "Broken", kStart, kStart, 1, "{\"pattern\": 7}"});
  broken.rates.push_back({"billing", "not json", kStart});
  storage->save_error_groups(broken);
  auto after = groups();
  EXPECT_EQ(after.restore(storage->load_error_groups()), 2u);
  EXPECT_EQ(after.size(), 1u);
  after.save(*storage);  // the unreadable group's row goes
  EXPECT_EQ(storage->load_error_groups().groups.size(), 1u);
}

TEST_P(ErrorStorage, PerformanceTotalsAreWrittenAndReadBack) {
  auto storage = open();
  performance::PerformanceReports before(clock_, metrics_);
  performance::OperationReport report{.operation = "websocket_processing", .count = 3, .sum_ms = 7.5};
  report.buckets[2] = 2;
  report.buckets[3] = 1;
  before.add("api-gateway", {report});
  before.add("api-gateway", {report});
  before.save(*storage);
  const auto stored = storage->load_operation_timings();
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_EQ(stored[0].count, 6u);
  EXPECT_DOUBLE_EQ(stored[0].sum_ms, 15.0);
  Metrics metrics;
  performance::PerformanceReports after(clock_, metrics);
  EXPECT_EQ(after.restore(stored), 0u);
  const Json served = after.list("api-gateway")["api-gateway"]["websocket_processing"];
  EXPECT_EQ(served["count"], 6);
  EXPECT_EQ(served["buckets"][2], 4);
  EXPECT_EQ(served, before.list("")["api-gateway"]["websocket_processing"]);
  EXPECT_THAT(metrics.prometheus_text(),
              HasSubstr("hub_operation_duration_seconds_count{service=\"api-gateway\",operation=\"websocket_processing\"} 6"));
  // A row whose buckets do not add up to its count is skipped.
  storage->save_operation_timings({{"api-gateway", "broken", "[1,2]", 3, 1.0, kStart}});
  performance::PerformanceReports again(clock_, metrics);
  EXPECT_EQ(again.restore(storage->load_operation_timings()), 1u);
  EXPECT_FALSE(again.list("api-gateway")["api-gateway"].contains("broken"));
}

TEST_P(ErrorStorage, AfterARestartAKnownErrorIsNotNewAndTheTotalsAreServed) {
  if (GetParam() == Backend::memory) GTEST_SKIP() << "memory keeps nothing across a restart";
  std::string fingerprint;
  {
    testing::TestHub hub(options());
    const HttpReply posted = hub.post("/errors", batch("orders", "KeyError", 3));
    ASSERT_EQ(posted.status, 200) << posted.body;
    EXPECT_EQ(Json::parse(posted.body)["new_groups"], 1);
    fingerprint = Json::parse(posted.body)["fingerprints"][0];
    const std::string report =
        R"({"service": "api-gateway", "bounds_ms": [0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000],
      "operations": [{"operation": "quote", "buckets": [0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], "sum_ms": 6.0}]})";
    ASSERT_EQ(hub.post("/performance", report).status, 200);
  }  // the hub stops: what changed since the last save is written
  testing::TestHub hub(options());
  const Json group = Json::parse(hub.get("/errors/" + fingerprint).body);
  EXPECT_EQ(group["count"], 3);
  EXPECT_EQ(group["samples"].size(), 3u);
  const HttpReply again = hub.post("/errors", batch("orders", "KeyError", 1));
  EXPECT_EQ(Json::parse(again.body)["new_groups"], 0);
  EXPECT_THAT(hub.get("/health/alerts").body, ::testing::Not(HasSubstr("\"new_error\"")));
  EXPECT_EQ(Json::parse(hub.get("/performance?service=api-gateway").body)["services"]["api-gateway"]["quote"]["count"], 2);
  EXPECT_THAT(hub.get("/metrics").body, HasSubstr("hub_operation_duration_seconds_count{service=\"api-gateway\",operation=\"quote\"} 2"));
}

// Storage away: what changed stays to be written, forgotten groups too, and the next save writes it.
TEST(ErrorGroupSaving, WhatStorageRefusedIsWrittenNextTime) {
  struct FlakyStore : ErrorGroupStore {
    bool refuse = true;
    ErrorGroupChanges written;
    void save_error_groups(const ErrorGroupChanges& changes) override {
      if (refuse) throw StorageError("storage is away");
      written = changes;
    }
    StoredErrorGroups load_error_groups() override { return {}; }
  } store;
  auto clock = std::make_shared<ManualClock>(kStart);
  EventBus events;
  Metrics metrics;
  ErrorSettings one;
  one.max_groups = 1;
  error_groups::ErrorGroups errors(one, clock, events, metrics);
  errors.ingest({event("orders", "KeyError")});
  errors.ingest({event("orders", "ValueError")});  // KeyError's group gives way
  EXPECT_THROW(errors.save(store), StorageError);
  store.refuse = false;
  errors.save(store);
  ASSERT_EQ(store.written.groups.size(), 1u);
  EXPECT_EQ(store.written.groups[0].type, "ValueError");
  EXPECT_EQ(store.written.forgotten.size(), 1u);
  EXPECT_EQ(store.written.rates.size(), 1u);
}

INSTANTIATE_TEST_SUITE_P(Backends, ErrorStorage, testing::kAllBackends, testing::backend_label);

}  // namespace
}  // namespace hub
