// What ErrorDNA costs a C++ service per error: a fingerprint of an event given as data (what the
// hub does for every event it takes), of a caught exception with its captured stack, and the stack
// capture alone. Compare with bench/errors_bench.py, which measures the Python package.
#include <hub/error_dna.hpp>

#include <benchmark/benchmark.h>

#include <stdexcept>
#include <string>
#include <vector>

namespace {

const std::vector<hub::Frame> kStack{
    {.module = "asyncio.base_events", .function = "create_connection", .in_app = false},
    {.module = "orders.db", .function = "connect", .in_app = true},
    {.module = "orders.api", .function = "place_order", .in_app = true},
    {.module = "orders.handlers", .function = "OrderHandler.post", .in_app = true},
};

void fingerprint_event(benchmark::State& state) {
  const hub::ErrorDNA dna;
  int n = 0;
  for (auto _ : state) {
    ++n;
    const std::string message = "[Errno 111] Connect call failed ('10.0.0." + std::to_string(n % 250) + "', 5432) for user " +
                                std::to_string(n) + "@example.com at 2026-12-01T08:00:00Z";
    benchmark::DoNotOptimize(dna.analyze("ConnectionRefusedError", message, kStack));
  }
}
BENCHMARK(fingerprint_event);

[[gnu::noinline]] void fail(int n) {
  throw std::out_of_range("vector::_M_range_check: __n (which is " + std::to_string(n) + ")");
}

void fingerprint_exception_with_stack(benchmark::State& state) {
  const hub::ErrorDNA dna;
  int n = 0;
  for (auto _ : state) {
    try {
      fail(++n);
    } catch (const std::exception& error) {
      benchmark::DoNotOptimize(dna.analyze_error(error, hub::ErrorDNA::capture_stack()));
    }
  }
}
BENCHMARK(fingerprint_exception_with_stack);

void capture_stack(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(hub::ErrorDNA::capture_stack());
}
BENCHMARK(capture_stack);

}  // namespace

BENCHMARK_MAIN();
