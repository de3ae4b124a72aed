// What a C++ service pays to time an operation with hub::PerformanceTracker: one measurement from
// one thread, and from several at once (they share the tracker's lock). No hub listens: reports are
// kept, which costs nothing per measurement.
#include <hub/performance_tracker.hpp>

#include <benchmark/benchmark.h>

namespace {

hub::PerformanceTracker& tracker() {
  static hub::PerformanceTracker shared("bench", {.hub_url = "http://127.0.0.1:1", .interval = std::chrono::hours(1)});
  return shared;
}

void measure(benchmark::State& state) {
  for (auto _ : state) {
    const auto timing = tracker().measure("websocket_processing");
  }
}
BENCHMARK(measure)->Threads(1)->Threads(2)->Threads(4);

}  // namespace

BENCHMARK_MAIN();
