// The ring every hub builds from the same member list: each agrees on a key's owner, the shares are
// near even, and a hub joining or leaving moves only the keys it takes or gives.
#include "cluster/hash_ring.hpp"

#include <gtest/gtest.h>

#include <map>
#include <string>

namespace hub::cluster {
namespace {

constexpr int kKeys = 30'000;
std::string key(int i) {
  return "service/svc-" + std::to_string(i % 300) + "/10.0." + std::to_string(i / 256) + "." + std::to_string(i % 256) + ":8000";
}

TEST(HashRing, EveryHubAgreesAndTheSharesAreNearEven) {
  const HashRing ring({"hub-a:1:aa", "hub-b:2:bb", "hub-c:3:cc"});
  const HashRing same({"hub-c:3:cc", "hub-a:1:aa", "hub-b:2:bb"});  // listed in another order
  std::map<std::string, int> shares;
  for (int i = 0; i < kKeys; ++i) {
    ASSERT_EQ(ring.owner(key(i)), same.owner(key(i)));
    ++shares[ring.owner(key(i))];
  }
  ASSERT_EQ(shares.size(), 3u);
  for (const auto& [member, count] : shares) {
    EXPECT_GT(count, kKeys / 3 * 0.75) << member;
    EXPECT_LT(count, kKeys / 3 * 1.25) << member;
  }
}

TEST(HashRing, ALeavingHubsKeysAloneMoveAndAJoiningHubTakesAboutItsShare) {
  const HashRing three({"hub-a", "hub-b", "hub-c"});
  const HashRing two({"hub-a", "hub-b"});
  const HashRing four({"hub-a", "hub-b", "hub-c", "hub-d"});
  int moved_on_leave = 0, moved_on_join = 0;
  for (int i = 0; i < kKeys; ++i) {
    const std::string& before = three.owner(key(i));
    if (before != "hub-c") {
      EXPECT_EQ(two.owner(key(i)), before) << "a key of a hub that stayed moved";
    }
    moved_on_leave += before != two.owner(key(i)) ? 1 : 0;
    const std::string& after = four.owner(key(i));
    if (after != before) {
      EXPECT_EQ(after, "hub-d") << "a key moved between two hubs that both stayed";
      ++moved_on_join;
    }
  }
  EXPECT_NEAR(moved_on_join, kKeys / 4, kKeys / 4 * 0.3);
  EXPECT_NEAR(moved_on_leave, kKeys / 3, kKeys / 3 * 0.3);
}

TEST(HashRing, AnEmptyRingOwnsNothing) {
  const HashRing none({});
  EXPECT_TRUE(none.empty());
  EXPECT_EQ(none.owner("service/a/b"), "");
}

}  // namespace
}  // namespace hub::cluster
