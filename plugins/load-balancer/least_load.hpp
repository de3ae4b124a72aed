// least_load: the seed's "best available instance", the one whose heartbeats report the lowest
// `load` metric (0..1), its calls in flight breaking ties. Heartbeats come every few seconds, so a
// strict minimum would send every caller to one instance until its next heartbeat: by default it
// draws two candidates and keeps the less loaded (`choice_count: 0` scans them all, for the strict
// answer). A candidate that never reported a load counts as half loaded.
#pragma once

#include "choices.hpp"

#include <hub/plugin.hpp>

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace hub::load_balancer {

class LeastLoad {
 public:
  explicit LeastLoad(const Context& context) : choices_(choice_count(context.config)) {}

  void update(std::span<const hub_lb_candidate> candidates) { count_ = candidates.size(); }

  std::optional<size_t> pick(std::string_view, uint64_t, const Live& live) {
    if (count_ == 0) return std::nullopt;
    return best_of_choices(count_, choices_, [&](size_t a, size_t b) {
      const hub_lb_load first = live[a], second = live[b];
      const double load_a = first.load >= 0 ? first.load : 0.5, load_b = second.load >= 0 ? second.load : 0.5;
      return load_a != load_b ? load_a < load_b : first.active_requests < second.active_requests;
    });
  }

 private:
  const size_t choices_;
  size_t count_ = 0;
};

}  // namespace hub::load_balancer
