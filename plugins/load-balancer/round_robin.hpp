// round_robin: each pick takes the next candidate in turn. The hub hands it
// the candidates that may serve (healthy ones, degraded when none is healthy,
// all of them in panic), so it needs to know nothing but their number.
#pragma once

#include <hub/plugin.hpp>

#include <atomic>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace hub::load_balancer {

class RoundRobin {
 public:
  explicit RoundRobin(const Context&) {}

  void update(std::span<const hub_lb_candidate> candidates) { count_.store(candidates.size(), std::memory_order_relaxed); }

  std::optional<size_t> pick(std::string_view, uint64_t) {
    const size_t count = count_.load(std::memory_order_relaxed);
    if (count == 0) return std::nullopt;
    return turn_.fetch_add(1, std::memory_order_relaxed) % count;
  }

 private:
  std::atomic<size_t> count_{0};
  std::atomic<uint64_t> turn_{0};
};

}  // namespace hub::load_balancer
