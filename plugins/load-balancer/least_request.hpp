// least_request: Envoy's least request. Draw `choice_count` candidates at random and keep the one
// with the fewest calls in flight for its weight: score (active + 1)^bias / weight, lower wins.
// With equal weights that is power of two choices; `active_request_bias` 0 makes it weighted random
// among the drawn. The calls in flight are the hub's count over every caller that picks through it
// (GET /lb) or reports outcomes, not the count one caller sees: Envoy's users' complaint (#35935).
#pragma once

#include "choices.hpp"

#include <hub/plugin.hpp>

#include <cmath>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace hub::load_balancer {

class LeastRequest {
 public:
  explicit LeastRequest(const Context& context)
      : choices_(choice_count(context.config)), bias_(context.config.number("active_request_bias", 1.0)) {
    if (!(bias_ >= 0 && bias_ <= 10)) throw Error(HUB_INVALID_ARGUMENT, "active_request_bias: between 0 and 10");
  }

  void update(std::span<const hub_lb_candidate> candidates) {
    weights_.clear();
    for (const hub_lb_candidate& candidate : candidates) weights_.push_back(std::max<double>(candidate.weight, 1));
  }

  std::optional<size_t> pick(std::string_view, uint64_t, const Live& live) {
    if (weights_.empty()) return std::nullopt;
    return best_of_choices(weights_.size(), choices_, [&](size_t a, size_t b) { return score(a, live) < score(b, live); });
  }

 private:
  double score(size_t index, const Live& live) const {
    const double active = live[index].active_requests + 1.0;
    return (bias_ == 1.0 ? active : std::pow(active, bias_)) / weights_[index];
  }

  const size_t choices_;
  const double bias_;
  std::vector<double> weights_;
};

}  // namespace hub::load_balancer
