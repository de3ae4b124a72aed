// random: each pick any candidate, uniformly. No shared state between picks, so any number of
// threads pick at once without touching one cache line (round robin's counter is one).
#pragma once

#include <hub/plugin.hpp>

#include <atomic>
#include <cstdint>
#include <optional>
#include <random>
#include <span>
#include <string_view>

namespace hub::load_balancer {

class RandomPick {
 public:
  explicit RandomPick(const Context&) {}

  void update(std::span<const hub_lb_candidate> candidates) { count_.store(candidates.size(), std::memory_order_relaxed); }

  std::optional<size_t> pick(std::string_view, uint64_t) {
    const size_t count = count_.load(std::memory_order_relaxed);
    if (count == 0) return std::nullopt;
    return static_cast<size_t>(next() % count);
  }

 private:
  // xorshift64*, one per thread, seeded once: pick() must not block or allocate.
  static uint64_t next() {
    thread_local uint64_t state = std::random_device{}() | (uint64_t{std::random_device{}()} << 32) | 1;
    state ^= state >> 12;
    state ^= state << 25;
    state ^= state >> 27;
    return state * 0x2545F4914F6CDD1DULL;
  }

  std::atomic<size_t> count_{0};
};

}  // namespace hub::load_balancer
