// 50 callers and 10 instances of unequal speed, in simulated time: how each strategy spreads the
// calls. Seven instances take 10 ms a call on average, two take 30 ms, and one turns from 10 ms to
// 30 ms halfway through. Each instance serves 4 calls at once and queues the rest. The 50 callers
// together send 2,400 calls a second (Poisson), 75% of what the instances can serve in the second
// half, so every strategy serves the same calls and only their latency differs.
//
//   round_robin               each caller takes the instances in turn
//   least_request, own view   each caller counts only its own calls in flight (Envoy's, #35935)
//   least_request, hub view   the hub's count over every caller (GET /lb leases released by outcomes)
//   peak_ewma, hub view       latency x (in flight + 1), from every caller's reported outcomes
// The hub's views come with power of two choices (the default) and scanning every instance
// (choice_count: 0: no herding, since each pick counts at once), and with outcomes reaching the hub
// at once or 5 ms after the answer (a client batching its reports).
//
// The strategies are the load-balancer plugin's, through the ABI; the hub's view is the core's
// InstanceLoad. Prints p50 and p99 call latency, and the busiest instance's average calls in
// flight over the mean instance's.
#include "balancing/instance_load.hpp"
#include "support/strategy_handle.hpp"

#include <algorithm>
#include <cstdio>
#include <memory>
#include <queue>
#include <random>
#include <string>
#include <vector>

namespace {

constexpr int kInstances = 10;
constexpr int kCallers = 50;
constexpr double kCallsPerSecond = 2400;
constexpr int kWorkers = 4;
constexpr double kDurationMs = 60'000;
constexpr int64_t kLeaseSeconds = 30;
constexpr int64_t kDecayUs = 10'000'000;

enum class View { own_round_robin, own, hub };

struct Strategy {
  const char* name;
  const char* implementation;
  View view;
  const char* config = "{}";
};

struct Event {
  double at_ms;
  enum Kind { next_call, done, reported } kind;
  int caller, instance;
  double started_ms;
  bool operator>(const Event& other) const { return at_ms > other.at_ms; }
};

struct Instance {
  double mean_ms;
  int busy = 0;
  std::queue<Event> waiting;
  int in_flight = 0;  // queued and served
  double last_change_ms = 0, area = 0;
  void change(double now_ms, int by) {
    area += in_flight * (now_ms - last_change_ms);
    last_change_ms = now_ms;
    in_flight += by;
  }
};

struct Result {
  double p50_ms, p99_ms, busiest_over_mean;
  size_t calls;
};

int64_t us_of(double ms) {
  return static_cast<int64_t>(ms * 1000);
}
int64_t second_of(double ms) {
  return static_cast<int64_t>(ms / 1000) + 1;
}

Result simulate(const Strategy& strategy, double report_delay_ms) {
  std::mt19937_64 random(20261201);
  std::vector<Instance> instances(kInstances);
  for (int i = 0; i < kInstances; ++i) instances[i].mean_ms = i == 7 || i == 8 ? 30 : 10;
  std::vector<std::string> ids;
  for (int i = 0; i < kInstances; ++i) ids.push_back("instance-" + std::to_string(i));

  std::vector<std::unique_ptr<hub::testing::StrategyHandle>> handles;  // one per caller, or one for all
  const int handle_count = strategy.view == View::hub ? 1 : kCallers;
  for (int i = 0; i < handle_count; ++i) {
    handles.push_back(std::make_unique<hub::testing::StrategyHandle>(strategy.implementation, strategy.config));
    handles.back()->update(ids);
  }
  std::vector<std::vector<int>> own_in_flight(kCallers, std::vector<int>(kInstances, 0));
  std::vector<std::unique_ptr<hub::InstanceLoad>> hub_view;
  for (int i = 0; i < kInstances; ++i) hub_view.push_back(std::make_unique<hub::InstanceLoad>(0));

  std::priority_queue<Event, std::vector<Event>, std::greater<>> events;
  std::exponential_distribution<double> unit(1.0);
  const double caller_gap_ms = 1000.0 * kCallers / kCallsPerSecond;  // each caller's mean time between calls
  for (int caller = 0; caller < kCallers; ++caller) events.push({caller_gap_ms * unit(random), Event::next_call, caller, -1, 0});
  std::vector<double> latencies;
  const auto serve = [&](Instance& instance, Event event, double now_ms) {
    ++instance.busy;
    events.push({now_ms + instance.mean_ms * unit(random), Event::done, event.caller, event.instance, event.started_ms});
  };

  while (!events.empty()) {
    Event event = events.top();
    events.pop();
    const double now = event.at_ms;
    if (now > kDurationMs) break;
    instances[9].mean_ms = now < kDurationMs / 2 ? 10 : 30;  // the one that turns slow midway
    if (event.kind == Event::next_call) {
      events.push({now + caller_gap_ms * unit(random), Event::next_call, event.caller, -1, 0});
      hub::testing::StrategyHandle& handle = *handles[strategy.view == View::hub ? 0 : event.caller];
      for (int i = 0; i < kInstances; ++i) {
        hub_lb_load& figures = handle.figures[i];
        if (strategy.view == View::hub) {
          hub_view[i]->expire(second_of(now), kLeaseSeconds);
          figures.active_requests = static_cast<uint32_t>(hub_view[i]->in_flight());
          figures.latency_us = hub_view[i]->latency_us(us_of(now), kDecayUs);
        } else {
          figures.active_requests = static_cast<uint32_t>(own_in_flight[event.caller][i]);
        }
      }
      const int chosen = static_cast<int>(handle.pick_index());
      if (strategy.view == View::hub) hub_view[chosen]->lease(second_of(now));
      ++own_in_flight[event.caller][chosen];
      Instance& instance = instances[chosen];
      instance.change(now, +1);
      Event call{now, Event::done, event.caller, chosen, now};
      if (instance.busy < kWorkers)
        serve(instance, call, now);
      else
        instance.waiting.push(call);
    } else if (event.kind == Event::done) {
      Instance& instance = instances[event.instance];
      --instance.busy;
      instance.change(now, -1);
      --own_in_flight[event.caller][event.instance];
      latencies.push_back(now - event.started_ms);
      if (!instance.waiting.empty()) {
        serve(instance, instance.waiting.front(), now);
        instance.waiting.pop();
      }
      events.push({now + report_delay_ms, Event::reported, event.caller, event.instance, event.started_ms});
    } else if (strategy.view == View::hub) {  // the outcome reaches the hub
      const double finished = event.at_ms - report_delay_ms;
      hub_view[event.instance]->release(second_of(event.started_ms), second_of(now), kLeaseSeconds);
      hub_view[event.instance]->observe_latency(us_of(finished - event.started_ms), us_of(now), kDecayUs);
    }
  }
  double busiest = 0, total = 0;
  for (Instance& instance : instances) {
    instance.change(kDurationMs, 0);
    busiest = std::max(busiest, instance.area);
    total += instance.area;
  }
  std::sort(latencies.begin(), latencies.end());
  return {latencies[latencies.size() / 2], latencies[latencies.size() * 99 / 100], busiest / (total / kInstances), latencies.size()};
}

}  // namespace

int main() {
  const Strategy strategies[] = {{"round_robin", "round_robin", View::own_round_robin},
                                 {"least_request, own view", "least_request", View::own},
                                 {"least_request, hub view", "least_request", View::hub},
                                 {"least_request, hub, scan", "least_request", View::hub, "{choice_count: 0}"},
                                 {"peak_ewma, hub view", "peak_ewma", View::hub},
                                 {"peak_ewma, hub, scan", "peak_ewma", View::hub, "{choice_count: 0}"}};
  std::printf(
      "%d callers sending %.0f calls/s, %d instances of %d workers (7 at 10 ms, 2 at 30 ms, 1 from 10 to 30 ms at half time), "
      "%.0f s simulated\n",
      kCallers, kCallsPerSecond, kInstances, kWorkers, kDurationMs / 1000);
  std::printf("%-26s %16s %10s %10s %10s %22s\n", "strategy", "outcomes reach", "calls", "p50 ms", "p99 ms", "busiest/mean in flight");
  for (const Strategy& strategy : strategies)
    for (double delay_ms : {0.0, 5.0}) {
      if (strategy.view != View::hub && delay_ms > 0) continue;
      const Result result = simulate(strategy, delay_ms);
      char delay[32];
      std::snprintf(delay, sizeof delay, strategy.view == View::hub ? "the hub +%.0f ms" : "-", delay_ms);
      std::printf("%-26s %16s %10zu %10.1f %10.1f %22.2f\n", strategy.name, delay, result.calls, result.p50_ms, result.p99_ms,
                  result.busiest_over_mean);
    }
}
