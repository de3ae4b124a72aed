// The mass-expiry guard's arithmetic: expiries add up over a sliding window,
// small fleets are exempt, a hold ends when expiries fall back or when an
// operator confirms, and a confirmed batch does not count toward the next hold.
#include "registry/liveness_guard.hpp"

#include <gtest/gtest.h>

namespace {

constexpr int64_t kSecond = 1'000'000;

hub::LivenessSettings defaults() {
  return {};  // 15% within 90 s, at least 10 instances
}

TEST(LivenessGuard, ExpiriesAddUpOverTheWindowAndAgeOutOfIt) {
  hub::LivenessGuard guard(defaults());
  auto first = guard.decide(0, 100, 10);
  EXPECT_FALSE(first.hold);
  guard.expired(0, 10);
  // 30 s later 6 more would go: 16 of the 100 live at the window's start.
  auto second = guard.decide(30 * kSecond, 90, 6);
  EXPECT_TRUE(second.hold);
  EXPECT_EQ(second.change, hub::LivenessGuard::Change::suspended);
  EXPECT_EQ(second.figures.live, 100u);
  EXPECT_EQ(second.figures.expiring, 16u);
  EXPECT_EQ(second.figures.percent(), 16);
  // Once the first 10 are older than the window, 6 of 90 (6%) go.
  auto later = guard.decide(91 * kSecond, 90, 6);
  EXPECT_FALSE(later.hold);
  EXPECT_EQ(later.change, hub::LivenessGuard::Change::resumed);
  EXPECT_EQ(later.figures.live, 90u);
}

TEST(LivenessGuard, ExactlyTheThresholdExpires) {
  hub::LivenessGuard guard(defaults());
  EXPECT_FALSE(guard.decide(0, 100, 15).hold);
  hub::LivenessGuard over(defaults());
  EXPECT_TRUE(over.decide(0, 100, 16).hold);
}

TEST(LivenessGuard, FleetsUnderTheMinimumAreNeverHeld) {
  hub::LivenessGuard guard(defaults());
  EXPECT_FALSE(guard.decide(0, 9, 9).hold);
  EXPECT_TRUE(guard.decide(0, 10, 9).hold);
}

TEST(LivenessGuard, NothingToExpireIsNeverAHold) {
  hub::LivenessGuard guard(defaults());
  guard.expired(0, 50);  // many went down a moment ago; nothing more would
  EXPECT_FALSE(guard.decide(kSecond, 50, 0).hold);
}

TEST(LivenessGuard, AConfirmationReleasesTheHoldOnceAndStartsTheWindowOver) {
  hub::LivenessGuard guard(defaults());
  EXPECT_FALSE(guard.confirm());  // nothing held
  EXPECT_TRUE(guard.decide(0, 100, 80).hold);
  EXPECT_TRUE(guard.decide(kSecond, 100, 80).hold);
  EXPECT_TRUE(guard.confirm());
  auto released = guard.decide(2 * kSecond, 100, 80);
  EXPECT_FALSE(released.hold);
  EXPECT_EQ(released.change, hub::LivenessGuard::Change::confirmed);
  // The caller does not report the confirmed batch; one death among the 20 left is 5%.
  auto next = guard.decide(3 * kSecond, 20, 1);
  EXPECT_FALSE(next.hold);
  EXPECT_EQ(next.change, hub::LivenessGuard::Change::none);
  EXPECT_EQ(next.figures.live, 20u);
}

TEST(LivenessGuard, TurnedOffItNeverHolds) {
  hub::LivenessSettings settings = defaults();
  settings.guard = false;
  hub::LivenessGuard guard(settings);
  EXPECT_FALSE(guard.decide(0, 100, 100).hold);
}

}  // namespace
