// The gates' rules one at a time: health first, then the error rate and latency against the stable
// version, and the count rule that a sparse or empty baseline cannot excuse.
#include "deployments/gates.hpp"

#include <gtest/gtest.h>

namespace hub::deployments {
namespace {

Tally calls(uint64_t count, uint64_t errors, double mean_ms = 10) {
  return {count, errors, mean_ms * 1000 * static_cast<double>(count), count};
}

GateInput settled(Tally fresh, Tally stable) {
  return {2, 2, {}, fresh, stable};
}

TEST(Gates, PendUntilEveryNewInstanceHasBeenHealthyLongEnough) {
  const GateVerdict verdict = judge({}, {3, 2, {}, {}, {}});
  EXPECT_EQ(verdict.gate, HUB_GATE_PENDING);
  EXPECT_NE(verdict.reason.find("2 of 3"), std::string::npos) << verdict.reason;
  EXPECT_EQ(judge({}, {3, 3, {}, {}, {}}).gate, HUB_GATE_PASSING);
}

TEST(Gates, FailWhenASettledNewInstanceGoesDown) {
  const GateVerdict verdict = judge({}, {3, 2, {"i-7"}, {}, {}});
  EXPECT_EQ(verdict.gate, HUB_GATE_FAILING);
  EXPECT_NE(verdict.reason.find("i-7"), std::string::npos) << verdict.reason;
}

TEST(Gates, CompareTheErrorRateWithTheStableVersions) {
  GateSettings settings;  // 5 points more allowed, 20 calls each to judge
  EXPECT_EQ(judge(settings, settled(calls(100, 8), calls(100, 4))).gate, HUB_GATE_PASSING);
  const GateVerdict failing = judge(settings, settled(calls(100, 12), calls(100, 4)));
  EXPECT_EQ(failing.gate, HUB_GATE_FAILING);
  EXPECT_NE(failing.reason.find("12.0%"), std::string::npos) << failing.reason;
  EXPECT_EQ(judge(settings, settled(calls(10, 4), calls(100, 0))).gate, HUB_GATE_PASSING) << "4 of 10: too few calls to judge a rate";
}

TEST(Gates, ASparseOrEmptyBaselineDoesNotExcuseFailures) {
  GateSettings settings;  // max_failures 5
  const GateVerdict none = judge(settings, settled(calls(6, 5), calls(0, 0)));
  EXPECT_EQ(none.gate, HUB_GATE_FAILING) << "the old version had no traffic; five failures still fail";
  EXPECT_EQ(judge(settings, settled(calls(6, 5), calls(3, 0))).gate, HUB_GATE_FAILING) << "3 stable calls: sparse";
  EXPECT_EQ(judge(settings, settled(calls(6, 4), calls(0, 0))).gate, HUB_GATE_PASSING);
  EXPECT_EQ(judge(settings, settled(calls(40, 4), calls(0, 0))).gate, HUB_GATE_FAILING)
      << "10% with nothing to compare: over max_error_rate";
}

TEST(Gates, CompareLatencyWithARatioAndAFloor) {
  GateSettings settings;  // 1.5 times, and at least 5 ms slower
  EXPECT_EQ(judge(settings, settled(calls(50, 0, 16), calls(50, 0, 10))).gate, HUB_GATE_FAILING);
  EXPECT_EQ(judge(settings, settled(calls(50, 0, 14), calls(50, 0, 10))).gate, HUB_GATE_PASSING);
  EXPECT_EQ(judge(settings, settled(calls(50, 0, 3), calls(50, 0, 1))).gate, HUB_GATE_PASSING) << "3 ms against 1: under the floor";
}

TEST(Gates, FailOnAnErrorTheNewVersionBrought) {
  GateSettings settings;
  settings.max_new_error_events = 5;
  GateInput input = settled({}, {});
  input.new_errors = {{"5f0c", "KeyError", 4}};
  EXPECT_EQ(judge(settings, input).gate, HUB_GATE_PASSING);
  input.new_errors.push_back({"9a1b", "TimeoutError", 5});
  const GateVerdict failing = judge(settings, input);
  EXPECT_EQ(failing.gate, HUB_GATE_FAILING);
  EXPECT_NE(failing.reason.find("9a1b (TimeoutError), reported 5 times"), std::string::npos) << failing.reason;
  settings.max_new_error_events = 0;  // off
  EXPECT_EQ(judge(settings, input).gate, HUB_GATE_PASSING);
}

TEST(Gates, RequireCallsWaitsForTraffic) {
  GateSettings settings;
  settings.require_calls = true;
  EXPECT_EQ(judge(settings, settled(calls(3, 0), calls(100, 0))).gate, HUB_GATE_PENDING);
  EXPECT_EQ(judge(settings, settled(calls(30, 0), calls(100, 0))).gate, HUB_GATE_PASSING);
}

}  // namespace
}  // namespace hub::deployments
