// What several balancers share: a per-thread random generator, a 64-bit mixer, and power of two
// choices (pick two candidates at random and keep the better: nearly as good as scanning them all,
// and it spreads callers instead of sending them all to the one that looked best a moment ago).
#pragma once

#include <hub/plugin.hpp>

#include <cstddef>
#include <cstdint>
#include <random>
#include <string_view>

namespace hub::load_balancer {

// xorshift64*, one per thread, seeded once: pick() must not block or allocate.
inline uint64_t next_random() {
  thread_local uint64_t state = std::random_device{}() | (uint64_t{std::random_device{}()} << 32) | 1;
  state ^= state >> 12;
  state ^= state << 25;
  state ^= state >> 27;
  return state * 0x2545F4914F6CDD1DULL;
}

// splitmix64's finalizer: the hub's key hash is FNV-1a, whose nearby keys hash to nearby values.
inline uint64_t mix(uint64_t value) {
  value ^= value >> 30;
  value *= 0xbf58476d1ce4e5b9ULL;
  value ^= value >> 27;
  value *= 0x94d049bb133111ebULL;
  return value ^ (value >> 31);
}

inline uint64_t hash_text(std::string_view text, uint64_t seed = 0) {
  uint64_t hash = 14695981039346656037ull ^ seed;
  for (unsigned char c : text) hash = (hash ^ c) * 1099511628211ull;
  return mix(hash);
}

// The `choice_count` key of the strategies that draw: 2 (power of two choices) unless set; 0 scans
// every candidate.
inline size_t choice_count(const Config& config) {
  const int64_t count = config.integer("choice_count", 2);
  if (count < 0) throw Error(HUB_INVALID_ARGUMENT, "choice_count: 0 (every candidate) or more; 2 is power of two choices");
  return static_cast<size_t>(count);
}

// Draws `choices` distinct candidates of `count` (all of them when choices is 0 or not below count)
// and returns the one `better(a, b)` prefers; ties go to the first drawn, which is random.
template <class Better>
size_t best_of_choices(size_t count, size_t choices, Better&& better) {
  if (choices == 0 || choices >= count) {
    const size_t start = next_random() % count;  // scan from a random start, so ties spread
    size_t best = start;
    for (size_t step = 1; step < count; ++step) {
      const size_t other = (start + step) % count;
      if (better(other, best)) best = other;
    }
    return best;
  }
  size_t best = next_random() % count;
  for (size_t drawn = 1; drawn < choices; ++drawn) {
    size_t other = next_random() % (count - 1);
    other += other >= best;  // distinct from the first draw; later draws may repeat, as Envoy's do
    if (better(other, best)) best = other;
  }
  return best;
}

}  // namespace hub::load_balancer
