// Error groups on a manual clock: events of one cause make one group with its services, versions,
// hosts and newest samples; a spike starts and ends once each, against a baseline that learns what
// is normal; a flood of fingerprints costs old groups, not memory; retention forgets.
#include "error_groups/error_groups.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <mutex>
#include <vector>

namespace hub::error_groups {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

class ErrorGroupsTest : public ::testing::Test {
 protected:
  ErrorGroupsTest() {
    settings_.window_seconds = 60;
    settings_.floor_per_minute = 5;
    settings_.multiplier = 3;
    settings_.baseline_half_life_seconds = 3600;
    subscription_ = events_.subscribe([this](const Event& event) {
      std::lock_guard lock(mutex_);
      published_.push_back({event.topic, json::parse(event.json)});
    });
  }
  ~ErrorGroupsTest() override { events_.unsubscribe(subscription_); }

  ErrorGroups& groups() {
    if (!groups_) groups_ = std::make_unique<ErrorGroups>(settings_, clock_, events_, metrics_);
    return *groups_;
  }

  static ErrorEvent event(const std::string& service, const std::string& message, const std::string& function = "load",
                          const std::string& version = "1.0", const std::string& host = "web-1") {
    return {.service = service,
            .version = version,
            .host = host,
            .type = "KeyError",
            .message = message,
            .frames = {{.module = "orders.api", .function = function, .in_app = true}}};
  }

  std::vector<std::string> topics() {
    std::lock_guard lock(mutex_);
    std::vector<std::string> out;
    for (const auto& [topic, payload] : published_) out.push_back(topic);
    return out;
  }
  void forget_published() {
    std::lock_guard lock(mutex_);
    published_.clear();
  }
  void report(size_t count, const std::string& message = "'order-7'") {
    std::vector<ErrorEvent> batch(count, event("orders", message));
    groups().ingest(batch);
  }

  ErrorSettings settings_;
  std::shared_ptr<ManualClock> clock_ = std::make_shared<ManualClock>(1'800'000'000'000'000);
  EventBus events_;
  Metrics metrics_;
  std::unique_ptr<ErrorGroups> groups_;
  uint64_t subscription_ = 0;
  std::mutex mutex_;
  std::vector<std::pair<std::string, json>> published_;
};

TEST_F(ErrorGroupsTest, EventsOfOneCauseMakeOneGroupWithWhereTheyCameFrom) {
  settings_.samples_per_group = 2;
  const auto ingested =
      groups().ingest({event("orders", "'order-1'", "load", "1.0", "web-1"), event("orders", "'order-2'", "load", "1.1", "web-2"),
                       event("billing", "'order-3'", "load", "1.1", "web-2"), event("orders", "'order-4'", "save")});
  ASSERT_EQ(ingested.fingerprints.size(), 4u);
  EXPECT_EQ(ingested.fingerprints[0], ingested.fingerprints[1]);
  EXPECT_EQ(ingested.fingerprints[0], ingested.fingerprints[2]);
  EXPECT_NE(ingested.fingerprints[0], ingested.fingerprints[3]);  // another function: another cause
  EXPECT_EQ(ingested.new_groups, 2u);
  const json group = *groups().find(ingested.fingerprints[0]);
  EXPECT_EQ(group["count"], 3);
  EXPECT_EQ(group["message"], "'order-<num>'");
  EXPECT_EQ(group["services"], json({{"billing", 1}, {"orders", 2}}));
  EXPECT_EQ(group["versions"], json({"1.0", "1.1"}));
  EXPECT_EQ(group["hosts"], json({"web-1", "web-2"}));
  ASSERT_EQ(group["samples"].size(), 2u);  // the newest two
  EXPECT_EQ(group["samples"][1]["message"], "'order-3'");
  EXPECT_EQ(groups().list("billing", 0, 10)["total"], 1);
  EXPECT_EQ(groups().list("", 0, 1)["groups"].size(), 1u);
  EXPECT_EQ(groups().list("", clock_->now_unix_us() + 1, 10)["total"], 0);
  EXPECT_FALSE(groups().find("0123"));
  EXPECT_THAT(topics(), testing::ElementsAre("errors.new", "errors.new"));
}

TEST_F(ErrorGroupsTest, ASpikeStartsAndEndsOnceEach) {
  report(4);  // 4 a minute: under the floor of 5
  EXPECT_THAT(topics(), testing::Not(testing::Contains("errors.spike")));
  report(6);  // 10 in the window
  report(6);  // still spiking: no second alert
  auto seen = topics();
  EXPECT_EQ(std::count(seen.begin(), seen.end(), "errors.spike"), 2);  // the group's and the service's
  {
    std::lock_guard lock(mutex_);
    const auto spike = std::find_if(published_.begin(), published_.end(), [](const auto& e) { return e.first == "errors.spike"; });
    EXPECT_THAT(spike->second["message"].get<std::string>(), testing::HasSubstr("spikes: 10.0/min"));
  }
  forget_published();
  clock_->advance(3min);  // the window empties
  groups().sweep();
  seen = topics();
  EXPECT_EQ(std::count(seen.begin(), seen.end(), "errors.spike_ended"), 2);
  forget_published();
  groups().sweep();
  EXPECT_TRUE(topics().empty());  // ended once
}

TEST_F(ErrorGroupsTest, ASteadyRateBecomesTheBaselineAndOnlyAMultipleOfItSpikes) {
  settings_.floor_per_minute = 1;
  settings_.baseline_half_life_seconds = 600;
  for (int minute = 0; minute < 60; ++minute) {  // an hour at 10 a minute
    report(10);
    clock_->advance(1min);
  }
  groups().sweep();
  const json services = groups().services();
  EXPECT_NEAR(services["orders"]["baseline_per_minute"].get<double>(), 10.0, 0.5);
  EXPECT_FALSE(services["orders"]["spiking"]);
  forget_published();
  report(25);  // 25 against 10: under 3 times the baseline
  EXPECT_THAT(topics(), testing::Not(testing::Contains("errors.spike")));
  report(10);  // 35 a minute now
  EXPECT_THAT(topics(), testing::Contains("errors.spike"));
}

TEST_F(ErrorGroupsTest, AFloodOfFingerprintsCostsTheOldestGroupsNotMemory) {
  settings_.max_groups = 100;
  settings_.alert_new_errors = false;
  std::vector<ErrorEvent> flood;
  for (int i = 0; i < 1000; ++i)
    flood.push_back(event("orders", "x", "handler_" + std::string(1, static_cast<char>('a' + i % 26)) + std::to_string(i)));
  const auto first = groups().ingest({event("orders", "'order-1'")});
  clock_->advance(1s);
  groups().ingest(flood);
  EXPECT_EQ(groups().size(), 100u);
  EXPECT_FALSE(groups().find(first.fingerprints[0]));  // the quiet old one gave way
  EXPECT_EQ(metrics_.value("hub_error_groups_evicted_total"), 901);
  EXPECT_THAT(topics(), testing::Not(testing::Contains("errors.new")));
}

TEST_F(ErrorGroupsTest, GroupsNotSeenForTheRetentionAreForgotten) {
  settings_.retention_days = 2;
  const auto old = groups().ingest({event("orders", "'order-1'")});
  clock_->advance(24h);
  const auto recent = groups().ingest({event("orders", "'order-1'", "save")});
  clock_->advance(25h);
  groups().sweep();
  EXPECT_FALSE(groups().find(old.fingerprints[0]));
  EXPECT_TRUE(groups().find(recent.fingerprints[0]));
}

TEST(ErrorRate, CountsTheWindowAndLearnsABaselineThatDecays) {
  ErrorRate rate(120, 60);  // two minutes of window, a baseline halving every minute
  const int64_t start = 1'800'000'000'000'000;
  rate.add(start, 10);
  EXPECT_DOUBLE_EQ(rate.window_rate(start), 5.0);  // 10 over a window of two minutes
  EXPECT_DOUBLE_EQ(rate.baseline(start), 0.0);
  EXPECT_DOUBLE_EQ(rate.window_rate(start + 120'000'000), 0.0);
  EXPECT_DOUBLE_EQ(rate.baseline(start + 120'000'000), 10.0);  // the first minute, out of the window, seeds it
  EXPECT_DOUBLE_EQ(rate.baseline(start + 180'000'000), 5.0);   // a quiet minute halves it
}

// What the dashboard charts: the last hour's minutes that had events, past the spike window's reach.
TEST(ErrorRate, KeepsTheLastHoursMinutesForAChart) {
  ErrorRate rate(120, 60);
  const int64_t start = 1'800'000'000'000'000;  // a minute's start
  const int64_t minute = 60'000'000;
  rate.add(start, 3);
  rate.add(start + 30'000'000, 2);
  rate.add(start + 10 * minute, 7);
  EXPECT_EQ(rate.last_hour(start + 10 * minute).dump(), "[[1800000000,5],[1800000600,7]]");
  rate.add(start + 65 * minute, 1);  // the first minute has left the hour
  EXPECT_EQ(rate.last_hour(start + 65 * minute).dump(), "[[1800000600,7],[1800003900,1]]");
  EXPECT_EQ(rate.last_hour(start + 200 * minute).dump(), "[]");  // read long after: nothing within the hour
}

}  // namespace
}  // namespace hub::error_groups
