// Consistent hashing of work over the live hubs: each hub stands at many points of a ring, and a
// key belongs to the first hub at or after the key's own point. When a hub joins or leaves, only
// the keys next to its points move, about 1/N of them, so the others' checks stay where they are.
// Points come from FNV-1a, the same in every process, so every hub agrees on each key's owner.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace hub::cluster {

class HashRing {
 public:
  explicit HashRing(const std::vector<std::string>& members, int points_per_member = 64);
  // The member that owns `key`; empty when the ring has no members.
  const std::string& owner(const std::string& key) const;
  bool empty() const { return points_.empty(); }

 private:
  std::vector<std::pair<uint64_t, std::string>> points_;  // sorted by point
};

}  // namespace hub::cluster
