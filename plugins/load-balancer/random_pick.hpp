// random: each pick any candidate, uniformly. No shared state between picks, so any number of
// threads pick at once without touching one cache line (round robin's counter is one).
#pragma once

#include "choices.hpp"

#include <hub/plugin.hpp>

#include <atomic>
#include <cstdint>
#include <optional>
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
    return static_cast<size_t>(next_random() % count);
  }

 private:
  std::atomic<size_t> count_{0};
};

}  // namespace hub::load_balancer
