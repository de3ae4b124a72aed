// weighted_round_robin: nginx's smooth weighted round robin. Each turn every candidate gains its
// weight, the one with the most is picked and loses the total; over a cycle each is picked in
// proportion to its weight, spread out (weights 5, 1, 1 give a a b a c a a, not a a a a a b c).
//
// The cycle is worked out when the candidates change, so a pick is one atomic increment and a
// lookup: pick() may run on many threads at once and must not block. Weights are divided by their
// greatest common divisor, and scaled down when their sum would pass kMaxCycle.
#pragma once

#include <hub/plugin.hpp>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <numeric>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace hub::load_balancer {

class WeightedRoundRobin {
 public:
  static constexpr uint64_t kMaxCycle = 1 << 16;

  explicit WeightedRoundRobin(const Context&) {}

  // Never concurrent with pick() (the ABI's promise), so the cycle may be rebuilt in place.
  void update(std::span<const hub_lb_candidate> candidates) { cycle_ = smooth_cycle(weights_of(candidates)); }

  std::optional<size_t> pick(std::string_view, uint64_t) {
    if (cycle_.empty()) return std::nullopt;
    return cycle_[turn_.fetch_add(1, std::memory_order_relaxed) % cycle_.size()];
  }

  static std::vector<uint64_t> weights_of(std::span<const hub_lb_candidate> candidates) {
    std::vector<uint64_t> weights;
    for (const hub_lb_candidate& candidate : candidates) weights.push_back(std::max<uint64_t>(candidate.weight, 1));
    uint64_t divisor = 0;
    for (uint64_t weight : weights) divisor = std::gcd(divisor, weight);
    uint64_t total = 0;
    for (uint64_t& weight : weights) total += weight /= std::max<uint64_t>(divisor, 1);
    if (total > kMaxCycle)
      for (uint64_t& weight : weights) weight = std::max<uint64_t>(1, weight * kMaxCycle / total);
    return weights;
  }

  static std::vector<uint32_t> smooth_cycle(const std::vector<uint64_t>& weights) {
    const auto total = static_cast<int64_t>(std::accumulate(weights.begin(), weights.end(), uint64_t{0}));
    std::vector<int64_t> current(weights.size(), 0);
    std::vector<uint32_t> cycle;
    cycle.reserve(static_cast<size_t>(total));
    for (int64_t turn = 0; turn < total; ++turn) {
      size_t best = 0;
      for (size_t i = 0; i < weights.size(); ++i) {
        current[i] += static_cast<int64_t>(weights[i]);
        if (current[i] > current[best]) best = i;
      }
      current[best] -= total;
      cycle.push_back(static_cast<uint32_t>(best));
    }
    return cycle;
  }

 private:
  std::vector<uint32_t> cycle_;
  std::atomic<uint64_t> turn_{0};
};

}  // namespace hub::load_balancer
