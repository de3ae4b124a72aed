// ring_hash: consistent hashing for key affinity (Ketama, as Envoy's ring hash). Each candidate
// puts points on a ring of 64-bit hashes, in proportion to its weight, named by its instance id
// so they stay put when others come and go; a key goes to the first point at or after its hash.
// When one of N instances joins or leaves, about 1/N of the keys move, and only to or from it.
// A pick without a key takes a random point.
#pragma once

#include "choices.hpp"

#include <hub/plugin.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hub::load_balancer {

class RingHash {
 public:
  static constexpr int64_t kLargestRing = 1 << 23;  // Envoy's cap: 8M points, 128 MiB at most

  explicit RingHash(const Context& context)
      : per_instance_(context.config.integer("points_per_instance", 256)), max_size_(context.config.integer("maximum_ring_size", 1 << 20)) {
    if (per_instance_ < 1 || per_instance_ > 65536) throw Error(HUB_INVALID_ARGUMENT, "points_per_instance: between 1 and 65536");
    if (max_size_ < 1 || max_size_ > kLargestRing)
      throw Error(HUB_INVALID_ARGUMENT, "maximum_ring_size: between 1 and " + std::to_string(kLargestRing));
  }

  // An instance's points depend on its own weight only (points_per_instance at weight 100), so a
  // newcomer takes keys from the others without them moving among themselves; only a ring past
  // maximum_ring_size is scaled down as a whole.
  void update(std::span<const hub_lb_candidate> candidates) {
    ring_.clear();
    double total = 0;
    for (const hub_lb_candidate& candidate : candidates) total += points_of(candidate, 1);
    const double scale = total > static_cast<double>(max_size_) ? static_cast<double>(max_size_) / total : 1;
    for (size_t index = 0; index < candidates.size(); ++index) {
      const std::string_view id = view(candidates[index].instance_id);
      const auto points = static_cast<uint64_t>(std::max(1.0, std::round(points_of(candidates[index], scale))));
      for (uint64_t point = 0; point < points; ++point) ring_.emplace_back(hash_text(id, mix(point + 1)), static_cast<uint32_t>(index));
    }
    std::sort(ring_.begin(), ring_.end());
  }

  std::optional<size_t> pick(std::string_view key, uint64_t key_hash) {
    if (ring_.empty()) return std::nullopt;
    const uint64_t hash = key.empty() ? next_random() : mix(key_hash);
    auto point = std::lower_bound(ring_.begin(), ring_.end(), std::pair<uint64_t, uint32_t>(hash, 0));
    if (point == ring_.end()) point = ring_.begin();
    return point->second;
  }

  size_t points() const { return ring_.size(); }

 private:
  double points_of(const hub_lb_candidate& candidate, double scale) const {
    return static_cast<double>(per_instance_) * std::max<uint32_t>(candidate.weight, 1) / 100.0 * scale;
  }

  const int64_t per_instance_;
  const int64_t max_size_;
  std::vector<std::pair<uint64_t, uint32_t>> ring_;  // (hash, candidate index), sorted
};

}  // namespace hub::load_balancer
