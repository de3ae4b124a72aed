// peak_ewma: Finagle's and Linkerd's peak-EWMA. Each candidate's cost is its latency, as the hub
// tracks it from every caller's reported outcomes (a moving average that jumps to a slower call at
// once and decays back over `decay_seconds`, set in the core's load_balancing section), times its
// calls in flight plus one. Power of two choices keeps the cheaper. A candidate with no latency yet
// is costed as the other one drawn, so newcomers are neither flooded nor starved.
#pragma once

#include "choices.hpp"

#include <hub/plugin.hpp>

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace hub::load_balancer {

class PeakEwma {
 public:
  explicit PeakEwma(const Context& context) : choices_(choice_count(context.config)) {}

  void update(std::span<const hub_lb_candidate> candidates) { count_ = candidates.size(); }

  std::optional<size_t> pick(std::string_view, uint64_t, const Live& live) {
    if (count_ == 0) return std::nullopt;
    return best_of_choices(count_, choices_, [&](size_t a, size_t b) {
      const hub_lb_load first = live[a], second = live[b];
      const double latency_a = first.latency_us >= 0 ? first.latency_us : second.latency_us;
      const double latency_b = second.latency_us >= 0 ? second.latency_us : first.latency_us;
      const double cost_a = (latency_a < 0 ? 1 : latency_a + 1) * (first.active_requests + 1.0);
      const double cost_b = (latency_b < 0 ? 1 : latency_b + 1) * (second.active_requests + 1.0);
      return cost_a < cost_b;
    });
  }

 private:
  const size_t choices_;
  size_t count_ = 0;
};

}  // namespace hub::load_balancer
