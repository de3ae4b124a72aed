// What one pick costs, per strategy, at 10, 100 and 1,000 candidates: the load-balancer plugin's
// pick through the ABI as the core calls it, the live figures read from a table as the core's are.
#include "support/strategy_handle.hpp"

#include <benchmark/benchmark.h>

#include <string>
#include <vector>

namespace {

void pick(benchmark::State& state, const char* implementation) {
  hub::testing::StrategyHandle strategy(implementation);
  std::vector<std::string> ids;
  std::vector<uint32_t> weights;
  for (int64_t i = 0; i < state.range(0); ++i) {
    ids.push_back("instance-" + std::to_string(i));
    weights.push_back(static_cast<uint32_t>(50 + i % 100));
  }
  strategy.update(ids, weights);
  for (size_t i = 0; i < strategy.figures.size(); ++i)
    strategy.figures[i] = {sizeof(hub_lb_load), static_cast<uint32_t>(i % 7), static_cast<int64_t>(1000 + i % 13 * 100), (i % 10) / 10.0};
  const std::vector<std::string> keys{"user-1", "user-42", "user-777", "account-31337"};
  size_t turn = 0;
  for (auto _ : state) benchmark::DoNotOptimize(strategy.pick_index(keys[++turn % keys.size()]));
}

#define HUB_PICK_BENCH(name) BENCHMARK_CAPTURE(pick, name, #name)->Arg(10)->Arg(100)->Arg(1000)
HUB_PICK_BENCH(round_robin);
HUB_PICK_BENCH(random);
HUB_PICK_BENCH(weighted_round_robin);
HUB_PICK_BENCH(least_load);
HUB_PICK_BENCH(least_request);
HUB_PICK_BENCH(peak_ewma);
HUB_PICK_BENCH(ring_hash);
HUB_PICK_BENCH(maglev);

}  // namespace

BENCHMARK_MAIN();
