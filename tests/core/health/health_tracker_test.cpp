// Flap damping: a status is confirmed after `fall` worse or `rise` better results in a row.
#include "health/health_tracker.hpp"

#include <gtest/gtest.h>

namespace {

using hub::Health;

TEST(HealthTracker, TheFirstResultIsConfirmedAtOnce) {
  hub::HealthTracker tracker(2, 3);
  const auto first = tracker.observe(Health::healthy);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->from, Health::unknown);
  EXPECT_EQ(first->to, Health::healthy);
}

TEST(HealthTracker, ItTakesFallWorseResultsInARowToGoDown) {
  hub::HealthTracker tracker(2, 3);
  tracker.observe(Health::healthy);
  EXPECT_FALSE(tracker.observe(Health::down));
  EXPECT_FALSE(tracker.observe(Health::down));
  EXPECT_FALSE(tracker.observe(Health::healthy));  // the streak breaks
  EXPECT_FALSE(tracker.observe(Health::down));
  EXPECT_FALSE(tracker.observe(Health::down));
  const auto down = tracker.observe(Health::down);
  ASSERT_TRUE(down);
  EXPECT_EQ(down->from, Health::healthy);
  EXPECT_EQ(down->to, Health::down);
  EXPECT_EQ(tracker.confirmed(), Health::down);
}

TEST(HealthTracker, ItTakesRiseBetterResultsInARowToComeBack) {
  hub::HealthTracker tracker(2, 1);
  tracker.observe(Health::down);
  EXPECT_FALSE(tracker.observe(Health::healthy));
  const auto back = tracker.observe(Health::healthy);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->to, Health::healthy);
  EXPECT_FALSE(tracker.observe(Health::healthy));  // no transition without a change
}

TEST(HealthTracker, StatusesAreOrderedBySeverity) {
  EXPECT_LT(hub::severity(Health::healthy), hub::severity(Health::degraded));
  EXPECT_LT(hub::severity(Health::degraded), hub::severity(Health::down));
  EXPECT_EQ(hub::health_name(Health::degraded), "degraded");
}

}  // namespace
