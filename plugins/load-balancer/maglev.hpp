// maglev: Google's Maglev hashing (Eisenbud et al., NSDI 2016), as Envoy has it. A lookup table of
// `table_size` entries (a prime) is filled by the candidates in turn, each following its own
// permutation of the slots (an offset and a skip hashed from its instance id), taking turns in
// proportion to its weight. A key's hash picks a slot: one array read per pick, keys spread within
// a fraction of a percent of the weights, and when one of N instances leaves only its ~1/N of the
// keys move. A pick without a key takes a random slot.
#pragma once

#include "choices.hpp"

#include <hub/plugin.hpp>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace hub::load_balancer {

class Maglev {
 public:
  explicit Maglev(const Context& context) : size_(context.config.integer("table_size", 65537)) {
    if (size_ < 3 || size_ > 5'000'011 || !prime(static_cast<uint64_t>(size_)))
      throw Error(HUB_INVALID_ARGUMENT, "table_size: a prime between 3 and 5000011 (65537 by default), got " + std::to_string(size_));
  }

  void update(std::span<const hub_lb_candidate> candidates) {
    table_.clear();
    if (candidates.empty()) return;
    const uint64_t size = static_cast<uint64_t>(size_);
    std::vector<uint64_t> offset, skip, next(candidates.size(), 0);
    std::vector<double> share;
    const double heaviest =
        std::max_element(candidates.begin(), candidates.end(), [](const auto& a, const auto& b) { return a.weight < b.weight; })->weight;
    for (const hub_lb_candidate& candidate : candidates) {
      const std::string_view id = view(candidate.instance_id);
      offset.push_back(hash_text(id, 1) % size);
      skip.push_back(hash_text(id, 2) % (size - 1) + 1);
      share.push_back(std::max<double>(candidate.weight, 1) / std::max(heaviest, 1.0));
    }
    table_.assign(size, kEmpty);
    std::vector<double> taken(candidates.size(), 0);
    uint64_t filled = 0;
    for (uint64_t round = 1; filled < size; ++round)
      for (size_t index = 0; index < candidates.size() && filled < size; ++index) {
        if (taken[index] >= round * share[index]) continue;  // a lighter candidate sits this turn out
        uint64_t slot = (offset[index] + next[index] * skip[index]) % size;
        while (table_[slot] != kEmpty) slot = (offset[index] + ++next[index] * skip[index]) % size;
        table_[slot] = static_cast<uint32_t>(index);
        ++next[index];
        ++taken[index];
        ++filled;
      }
  }

  std::optional<size_t> pick(std::string_view key, uint64_t key_hash) {
    if (table_.empty()) return std::nullopt;
    return table_[(key.empty() ? next_random() : mix(key_hash)) % table_.size()];
  }

 private:
  static constexpr uint32_t kEmpty = UINT32_MAX;
  static bool prime(uint64_t n) {
    for (uint64_t divisor = 2; divisor * divisor <= n; ++divisor)
      if (n % divisor == 0) return false;
    return n >= 2;
  }

  const int64_t size_;
  std::vector<uint32_t> table_;
};

}  // namespace hub::load_balancer
