// The JSON work of versioned configs: the secret-key rule, merging and diffing.
#include "config/config_json.hpp"

#include <gtest/gtest.h>

namespace {

using hub::config::Json;

TEST(ConfigJson, KeysThatLookLikeSecretsAreToldApartFromOrdinaryOnes) {
  for (const char* key : {"password", "db_password", "apiKey", "private-key", "auth_token", "SECRET"})
    EXPECT_TRUE(hub::config::looks_like_secret(key)) << key;
  for (const char* key : {"passwords_policy_url", "keyboard", "key_count", "tokens", "author"})
    EXPECT_FALSE(hub::config::looks_like_secret(key)) << key;
}

TEST(ConfigJson, ACheckNamesThePathOfTheFirstProblem) {
  const hub::config::ConfigLimits limits{1024, 3};
  EXPECT_FALSE(hub::config::check_config(Json{{"a", {{"b", 1}}}}, limits));
  const auto secret = hub::config::check_config(Json{{"brokers", Json::array({Json{{"password", "x"}}})}}, limits);
  EXPECT_TRUE(secret.secret);
  EXPECT_EQ(secret.message.rfind("config_data.brokers[0].password:", 0), 0u);
  const auto deep = hub::config::check_config(Json{{"a", {{"b", {{"c", {{"d", 1}}}}}}}}, limits);
  EXPECT_FALSE(deep.secret);
  EXPECT_NE(deep.message.find("a.b.c: nested deeper than 3 levels"), std::string::npos);
  EXPECT_NE(hub::config::check_config(Json{{"big", std::string(2000, 'x')}}, limits).message.find("over the limit of 1024"),
            std::string::npos);
}

TEST(ConfigJson, MergingLaysObjectsKeyByKeyAndAnyOtherValueWins) {
  const Json base{{"limits", {{"rps", 10}, {"burst", 2}}}, {"hosts", {"a", "b"}}, {"mode", "x"}};
  const Json over{{"limits", {{"burst", 5}}}, {"hosts", {"c"}}, {"extra", true}};
  EXPECT_EQ(hub::config::deep_merge(base, over),
            (Json{{"limits", {{"rps", 10}, {"burst", 5}}}, {"hosts", {"c"}}, {"mode", "x"}, {"extra", true}}));
  EXPECT_EQ(hub::config::deep_merge(base, Json(3)), Json(3));
}

TEST(ConfigJson, ADiffListsEachChangedPathInKeyOrder) {
  const Json from{{"a", 1}, {"b", {{"c", 2}, {"d", 3}}}, {"gone", true}};
  const Json to{{"a", 1}, {"b", {{"c", 4}, {"d", 3}}}, {"new", "x"}};
  const auto changes = hub::config::diff(from, to);
  ASSERT_EQ(changes.size(), 3u);
  EXPECT_EQ(changes[0].path, "b.c");
  EXPECT_EQ(changes[0].change, "changed");
  EXPECT_EQ(changes[0].from, 2);
  EXPECT_EQ(changes[0].to, 4);
  EXPECT_EQ(changes[1].path, "gone");
  EXPECT_EQ(changes[1].change, "removed");
  EXPECT_EQ(changes[2].path, "new");
  EXPECT_EQ(changes[2].change, "added");
  EXPECT_TRUE(hub::config::diff(from, from).empty());
}

}  // namespace
