#include "hash_ring.hpp"

#include <algorithm>

namespace hub::cluster {

namespace {

uint64_t point_of(const std::string& text) {
  uint64_t hash = 1469598103934665603ULL;
  for (const char c : text) hash = (hash ^ static_cast<unsigned char>(c)) * 1099511628211ULL;
  // FNV's low bits mix poorly for keys that differ only at the end; a final avalanche spreads them.
  hash ^= hash >> 33;
  hash *= 0xff51afd7ed558ccdULL;
  hash ^= hash >> 33;
  return hash;
}

}  // namespace

HashRing::HashRing(const std::vector<std::string>& members, int points_per_member) {
  for (const std::string& member : members)
    for (int point = 0; point < points_per_member; ++point) points_.emplace_back(point_of(member + "#" + std::to_string(point)), member);
  std::sort(points_.begin(), points_.end());
}

const std::string& HashRing::owner(const std::string& key) const {
  static const std::string none;
  if (points_.empty()) return none;
  const uint64_t point = point_of(key);
  auto at = std::lower_bound(points_.begin(), points_.end(), point, [](const auto& entry, uint64_t value) { return entry.first < value; });
  if (at == points_.end()) at = points_.begin();
  return at->second;
}

}  // namespace hub::cluster
