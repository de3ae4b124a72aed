// The sliding_window breaker through the ABI, every transition driven by the time the test passes
// in: thresholds, minimum calls, consecutive failures, the wait in OPEN, HALF_OPEN's trial calls
// and their leases, and the time-based window forgetting old calls.
#include "circuit_breaker_plugin.hpp"
#include "plugin_host/plugin_instance.hpp"
#include "plugin_host/plugin_loader.hpp"

#include <hub/errors.hpp>

#include <gtest/gtest.h>

namespace {

constexpr int64_t kMs = 1000;
constexpr int64_t kSecond = 1'000'000;

class Breaker {
 public:
  explicit Breaker(const std::string& yaml)
      : handle_(hub::PluginInstance::create(library(), *library()->find("sliding_window", HUB_KIND_CIRCUIT_BREAKER), "breaker",
                                            hub::PluginConfig::from_yaml(yaml), {})) {}

  hub_circuit_decision acquire() {
    hub_circuit_decision decision{sizeof decision, -1, -1, -1};
    EXPECT_EQ(vtable().acquire(handle_->handle(), now, &decision), HUB_OK);
    return decision;
  }
  bool permitted() { return acquire().permitted != 0; }
  void record(hub_call_outcome outcome, int64_t duration_us = 10 * kMs) { vtable().record(handle_->handle(), outcome, duration_us, now); }
  void calls(int count, hub_call_outcome outcome, int64_t duration_us = 10 * kMs) {
    for (int i = 0; i < count; ++i) record(outcome, duration_us);
  }
  hub_circuit_state state() { return vtable().state(handle_->handle(), now); }
  hub_circuit_figures figures() {
    hub_circuit_figures out{};
    out.struct_size = sizeof out;
    EXPECT_EQ(vtable().describe(handle_->handle(), now, &out), HUB_OK);
    return out;
  }

  int64_t now = 1000 * kSecond;

 private:
  static std::shared_ptr<const hub::PluginLibrary> library() {
    static const auto loaded = hub::PluginLoader{}.add_static("circuit-breaker", &circuit_breaker_plugin);
    return loaded;
  }
  const hub_circuit_breaker_vtable& vtable() const { return handle_->vtable<hub_circuit_breaker_vtable>(); }
  std::unique_ptr<hub::PluginInstance> handle_;

 public:
  void restore(hub_circuit_state state, int64_t opened_at) { vtable().restore(handle_->handle(), state, opened_at, now); }
};

TEST(SlidingWindowBreaker, OpensAtTheFailureRateOnceTheWindowHasItsMinimumOfCalls) {
  Breaker breaker("{sliding_window_size: 10, minimum_number_of_calls: 10, failure_rate_threshold: 50}");
  breaker.calls(5, HUB_CALL_FAILURE);
  breaker.calls(4, HUB_CALL_SUCCESS);
  EXPECT_EQ(breaker.state(), HUB_CIRCUIT_CLOSED);  // 5 of 9: under the minimum, whatever the rate
  EXPECT_EQ(breaker.figures().failure_rate, -1);
  breaker.record(HUB_CALL_SUCCESS);
  EXPECT_EQ(breaker.state(), HUB_CIRCUIT_OPEN) << "5 of 10 failed: 50%";
  const hub_circuit_decision refused = breaker.acquire();
  EXPECT_EQ(refused.permitted, 0);
  EXPECT_EQ(refused.state, HUB_CIRCUIT_OPEN);
  EXPECT_EQ(refused.retry_after_us, 30 * kSecond);
  EXPECT_EQ(breaker.figures().opened_at_us, breaker.now);
  EXPECT_EQ(breaker.figures().retry_at_us, breaker.now + 30 * kSecond);
}

TEST(SlidingWindowBreaker, ACountWindowForgetsTheOldestCalls) {
  Breaker breaker("{sliding_window_size: 10, minimum_number_of_calls: 10, failure_rate_threshold: 50}");
  breaker.calls(4, HUB_CALL_FAILURE);
  breaker.calls(20, HUB_CALL_SUCCESS);  // the failures slide out
  breaker.calls(4, HUB_CALL_FAILURE);
  EXPECT_EQ(breaker.state(), HUB_CIRCUIT_CLOSED);
  EXPECT_DOUBLE_EQ(breaker.figures().failure_rate, 40);
  EXPECT_EQ(breaker.figures().calls, 10u);
}

TEST(SlidingWindowBreaker, ATimeWindowCountsOnlyTheLastSeconds) {
  Breaker breaker("{sliding_window_type: time, sliding_window_size: 10, minimum_number_of_calls: 4, failure_rate_threshold: 50}");
  breaker.calls(3, HUB_CALL_FAILURE);
  breaker.now += 11 * kSecond;  // they are out of the window
  breaker.calls(3, HUB_CALL_SUCCESS);
  breaker.record(HUB_CALL_FAILURE);
  EXPECT_EQ(breaker.state(), HUB_CIRCUIT_CLOSED);
  EXPECT_EQ(breaker.figures().calls, 4u);
  breaker.now += 5 * kSecond;
  breaker.record(HUB_CALL_FAILURE);
  EXPECT_EQ(breaker.state(), HUB_CIRCUIT_CLOSED);  // 2 of 5 within 10 s: 40%
  breaker.record(HUB_CALL_FAILURE);
  EXPECT_EQ(breaker.state(), HUB_CIRCUIT_OPEN);  // 3 of 6: 50%
}

TEST(SlidingWindowBreaker, SlowCallsOpenItAtTheSlowCallRate) {
  Breaker breaker("{minimum_number_of_calls: 4, slow_call_rate_threshold: 50, slow_call_duration_ms: 1000}");
  breaker.calls(2, HUB_CALL_SUCCESS, 999 * kMs);
  breaker.calls(1, HUB_CALL_SUCCESS, 1000 * kMs);
  EXPECT_EQ(breaker.state(), HUB_CIRCUIT_CLOSED);
  breaker.record(HUB_CALL_TIMEOUT, 10 * kMs);  // a timeout is slow whatever its duration
  EXPECT_EQ(breaker.state(), HUB_CIRCUIT_OPEN);
}

TEST(SlidingWindowBreaker, ConsecutiveFailuresAreATriggerOfTheirOwn) {
  Breaker breaker("{minimum_number_of_calls: 1000, consecutive_failures: 3}");
  breaker.calls(2, HUB_CALL_FAILURE);
  breaker.record(HUB_CALL_SUCCESS);
  breaker.calls(2, HUB_CALL_REJECTED);
  EXPECT_EQ(breaker.state(), HUB_CIRCUIT_CLOSED);
  breaker.record(HUB_CALL_TIMEOUT);
  EXPECT_EQ(breaker.state(), HUB_CIRCUIT_OPEN);
}

TEST(SlidingWindowBreaker, AfterItsWaitItMovesToHalfOpenByItselfAndClosesOnGoodTrials) {
  Breaker breaker("{minimum_number_of_calls: 1, consecutive_failures: 1, wait_in_open_ms: 5000, trial_calls: 3}");
  breaker.record(HUB_CALL_FAILURE);
  breaker.now += 4999 * kMs;
  EXPECT_EQ(breaker.state(), HUB_CIRCUIT_OPEN);
  breaker.now += 1 * kMs;
  EXPECT_EQ(breaker.state(), HUB_CIRCUIT_HALF_OPEN);  // no call needed to move it
  EXPECT_TRUE(breaker.permitted());
  EXPECT_TRUE(breaker.permitted());
  EXPECT_TRUE(breaker.permitted());
  const hub_circuit_decision fourth = breaker.acquire();
  EXPECT_EQ(fourth.permitted, 0);  // three trials out: no stampede
  EXPECT_EQ(fourth.state, HUB_CIRCUIT_HALF_OPEN);
  EXPECT_EQ(breaker.figures().trial_calls, 3u);
  breaker.calls(3, HUB_CALL_SUCCESS);
  EXPECT_EQ(breaker.state(), HUB_CIRCUIT_CLOSED);
  EXPECT_EQ(breaker.figures().calls, 0u);  // a fresh window
}

TEST(SlidingWindowBreaker, BadTrialsOpenItAgainForAnotherWait) {
  Breaker breaker("{consecutive_failures: 1, wait_in_open_ms: 5000, trial_calls: 2, failure_rate_threshold: 50}");
  breaker.record(HUB_CALL_FAILURE);
  breaker.now += 5 * kSecond;
  ASSERT_TRUE(breaker.permitted());
  ASSERT_TRUE(breaker.permitted());
  breaker.record(HUB_CALL_SUCCESS);
  breaker.record(HUB_CALL_FAILURE);  // 1 of 2: 50%
  EXPECT_EQ(breaker.state(), HUB_CIRCUIT_OPEN);
  EXPECT_EQ(breaker.figures().opened_at_us, breaker.now);
  breaker.record(HUB_CALL_SUCCESS);  // a late outcome while open changes nothing
  EXPECT_EQ(breaker.state(), HUB_CIRCUIT_OPEN);
}

TEST(SlidingWindowBreaker, ATrialPermitNeverReportedBackExpiresAsAFailure) {
  Breaker breaker("{consecutive_failures: 1, wait_in_open_ms: 5000, trial_calls: 2, trial_lease_ms: 2000, failure_rate_threshold: 60}");
  breaker.record(HUB_CALL_FAILURE);
  breaker.now += 5 * kSecond;
  ASSERT_TRUE(breaker.permitted());  // this caller dies with its permit
  ASSERT_TRUE(breaker.permitted());
  EXPECT_FALSE(breaker.permitted());
  breaker.record(HUB_CALL_SUCCESS);
  breaker.now += 1999 * kMs;
  EXPECT_EQ(breaker.state(), HUB_CIRCUIT_HALF_OPEN);
  breaker.now += 1 * kMs;
  // The lease ran out: 1 failure of 2 trials is 50%, under 60%: it closes instead of waiting for ever.
  EXPECT_EQ(breaker.state(), HUB_CIRCUIT_CLOSED);
}

TEST(SlidingWindowBreaker, TooFewCallersInHalfOpenStillGetADecision) {
  Breaker breaker("{consecutive_failures: 1, wait_in_open_ms: 5000, trial_calls: 10, max_wait_in_half_open_ms: 8000}");
  breaker.record(HUB_CALL_FAILURE);
  breaker.now += 5 * kSecond;
  ASSERT_TRUE(breaker.permitted());
  breaker.record(HUB_CALL_SUCCESS);  // one trial of ten, and nobody else comes
  breaker.now += 8 * kSecond;
  EXPECT_EQ(breaker.state(), HUB_CIRCUIT_CLOSED);

  breaker.record(HUB_CALL_FAILURE);  // open again; this time nobody tries at all
  breaker.now += 5 * kSecond;
  EXPECT_EQ(breaker.state(), HUB_CIRCUIT_HALF_OPEN);
  breaker.now += 8 * kSecond;
  EXPECT_EQ(breaker.state(), HUB_CIRCUIT_OPEN);  // no evidence it recovered: another wait
  EXPECT_EQ(breaker.figures().retry_at_us, breaker.now + 5 * kSecond);
}

TEST(SlidingWindowBreaker, OutcomesThatWereNotTrialsDoNotDecideHalfOpen) {
  Breaker breaker("{consecutive_failures: 1, wait_in_open_ms: 5000, trial_calls: 1}");
  breaker.record(HUB_CALL_FAILURE);
  breaker.now += 5 * kSecond;
  EXPECT_EQ(breaker.state(), HUB_CIRCUIT_HALF_OPEN);
  breaker.record(HUB_CALL_FAILURE);  // nobody was permitted: a straggler from before
  EXPECT_EQ(breaker.state(), HUB_CIRCUIT_HALF_OPEN);
}

TEST(SlidingWindowBreaker, BadSettingsAreRefusedNamingTheKey) {
  for (const char* bad : {"sliding_window_type: sometimes", "failure_rate_threshold: 0", "failure_rate_threshold: 101", "trial_calls: 0",
                          "sliding_window_size: 100001", "wait_in_open_ms: -1"}) {
    EXPECT_THROW(Breaker breaker(bad), hub::PluginError) << bad;
  }
  EXPECT_THROW(Breaker breaker("colour: red"), hub::ManifestError);  // a key it does not read
}

TEST(SlidingWindowBreaker, RestoredOpenKeepsItsWaitAndRestoredHalfOpenTriesAfresh) {
  Breaker open("{wait_in_open_ms: 60000}");
  open.restore(HUB_CIRCUIT_OPEN, open.now - 45 * kSecond);  // opened 45 s before the hub restarted
  EXPECT_EQ(open.state(), HUB_CIRCUIT_OPEN);
  EXPECT_EQ(open.acquire().retry_after_us, 15 * kSecond);
  open.now += 15 * kSecond;
  EXPECT_EQ(open.state(), HUB_CIRCUIT_HALF_OPEN);
  Breaker long_ago("{wait_in_open_ms: 60000}");
  long_ago.restore(HUB_CIRCUIT_OPEN, long_ago.now - 3600 * kSecond);
  EXPECT_EQ(long_ago.state(), HUB_CIRCUIT_HALF_OPEN);  // its wait ended while the hub was away
  Breaker half("{trial_calls: 2}");
  half.restore(HUB_CIRCUIT_HALF_OPEN, half.now - 90 * kSecond);
  EXPECT_EQ(half.state(), HUB_CIRCUIT_HALF_OPEN);
  EXPECT_TRUE(half.permitted());
  EXPECT_TRUE(half.permitted());
  EXPECT_FALSE(half.permitted());
}

}  // namespace
