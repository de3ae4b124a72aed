#include "http/burst_log.hpp"

#include <gtest/gtest.h>

namespace hub::http {
namespace {

using namespace std::chrono_literals;

TEST(BurstLog, LogsABurstsFirstOccurrenceThenAtMostOncePerPeriodWithTheCount) {
  BurstLog log(10s);
  const BurstLog::Clock::time_point start{};
  auto first = log.occur(start + 1s);
  ASSERT_TRUE(first);
  EXPECT_EQ(*first, 0u);
  for (int i = 0; i < 1000; ++i) EXPECT_FALSE(log.occur(start + 2s));  // a thousand refusals, no line
  EXPECT_FALSE(log.leftover(start + 5s));                              // not before the period ends
  auto summary = log.leftover(start + 11s);
  ASSERT_TRUE(summary);
  EXPECT_EQ(*summary, 1000u);
  EXPECT_FALSE(log.leftover(start + 30s));  // nothing left to say
  auto next = log.occur(start + 40s);
  ASSERT_TRUE(next);
  EXPECT_EQ(*next, 0u);
}

}  // namespace
}  // namespace hub::http
