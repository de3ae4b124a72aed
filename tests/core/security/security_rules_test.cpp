// The rules behind security, without a hub: networks and the registration policy, roles and
// their reach, and what a token looks like.
#include "basics/network.hpp"
#include "security/access.hpp"
#include "security/registration_policy.hpp"
#include "security/token.hpp"

#include <gtest/gtest.h>

#include <set>

namespace hub::security {
namespace {

Network network(const std::string& text) {
  std::string problem;
  auto parsed = Network::parse(text, problem);
  EXPECT_TRUE(parsed) << text << ": " << problem;
  return parsed.value_or(Network{});
}

TEST(Networks, ContainWhatTheirPrefixCoversInEitherFamily) {
  EXPECT_TRUE(network("10.0.0.0/8").contains(*IpAddress::parse("10.200.1.2")));
  EXPECT_FALSE(network("10.0.0.0/8").contains(*IpAddress::parse("11.0.0.1")));
  EXPECT_TRUE(network("169.254.0.0/16").contains(*IpAddress::parse("169.254.169.254")));
  EXPECT_TRUE(network("fe80::/10").contains(*IpAddress::parse("fe80::1")));
  EXPECT_FALSE(network("fe80::/10").contains(*IpAddress::parse("fec0::1")));
  EXPECT_TRUE(network("0.0.0.0/0").contains(*IpAddress::parse("8.8.8.8")));
  EXPECT_FALSE(network("0.0.0.0/0").contains(*IpAddress::parse("::1")));  // families do not mix
  EXPECT_TRUE(network("::1").contains(*IpAddress::parse("[::1]")));
}

TEST(Networks, AnAddressInEveryFormTheResolverTakesIsAnAddress) {
  for (const char* loopback : {"127.0.0.1", "127.1", "0x7f.0.0.1", "2130706433", "017700000001", "::ffff:127.0.0.1"}) {
    const auto address = IpAddress::parse(loopback);
    ASSERT_TRUE(address) << loopback;
    EXPECT_TRUE(network("127.0.0.0/8").contains(*address)) << loopback;
  }
  EXPECT_FALSE(IpAddress::parse("payments.internal"));
}

TEST(Networks, ARuleThatIsNotANetworkIsRefusedSayingWhy) {
  std::string problem;
  EXPECT_FALSE(Network::parse("10.0.0.0/33", problem));
  EXPECT_NE(problem.find("prefix must be 0 to 32"), std::string::npos) << problem;
  EXPECT_FALSE(Network::parse("intranet", problem));
  EXPECT_NE(problem.find("not a network"), std::string::npos) << problem;
  EXPECT_FALSE(Network::parse("fe80::/200", problem));
}

RegistrationRules production_rules() {
  RegistrationRules rules;
  rules.denied_networks = {"127.0.0.0/8", "::1/128", "169.254.0.0/16", "fe80::/10", "0.0.0.0/8", "::/128"};
  rules.allowed_host_names = {"*.svc.cluster.local"};
  return rules;
}

TEST(RegistrationPolicy, RefusesDeniedAddressesNamingTheRule) {
  const RegistrationPolicy policy(production_rules());
  EXPECT_EQ(policy.refusal("10.0.0.7"), "");
  EXPECT_EQ(policy.refusal("127.0.0.1"), "host: 127.0.0.1 is in 127.0.0.0/8, which registration.denied_networks refuses");
  EXPECT_NE(policy.refusal("169.254.169.254").find("169.254.0.0/16"), std::string::npos);  // the cloud metadata service
  EXPECT_NE(policy.refusal("::ffff:127.0.0.1").find("127.0.0.0/8"), std::string::npos);
  EXPECT_NE(policy.refusal("127.1").find("127.0.0.0/8"), std::string::npos);
  EXPECT_NE(policy.refusal("0.0.0.0").find("0.0.0.0/8"), std::string::npos);  // Linux connects that to itself
  EXPECT_NE(policy.refusal("fe80::1").find("fe80::/10"), std::string::npos);
}

TEST(RegistrationPolicy, NamesMustMatchAnAllowedPatternAndLocalhostIsLoopback) {
  const RegistrationPolicy policy(production_rules());
  EXPECT_EQ(policy.refusal("payments.prod.svc.cluster.local"), "");
  EXPECT_EQ(policy.refusal("PAYMENTS.prod.svc.cluster.LOCAL"), "");
  EXPECT_EQ(policy.refusal("attacker.example"), "host: attacker.example matches none of registration.allowed_host_names");
  EXPECT_NE(policy.refusal("svc.cluster.local.attacker.example").find("matches none"), std::string::npos);
  EXPECT_NE(policy.refusal("localhost").find("denied_networks"), std::string::npos);
  EXPECT_NE(policy.refusal("api.localhost").find("denied_networks"), std::string::npos);

  RegistrationRules addresses_only = production_rules();
  addresses_only.allowed_host_names.clear();
  EXPECT_NE(RegistrationPolicy(addresses_only).refusal("payments.internal").find("accepts none"), std::string::npos);
}

TEST(RegistrationPolicy, AnAllowListAdmitsOnlyItsNetworks) {
  RegistrationRules rules;
  rules.allowed_networks = {"10.0.0.0/8"};
  rules.denied_networks = {"10.9.0.0/16"};
  const RegistrationPolicy policy(rules);
  EXPECT_EQ(policy.refusal("10.1.2.3"), "");
  EXPECT_EQ(policy.refusal("192.168.1.1"), "host: 192.168.1.1 is in none of registration.allowed_networks");
  EXPECT_NE(policy.refusal("10.9.1.1").find("denied_networks"), std::string::npos);  // deny is checked first
  EXPECT_EQ(RegistrationPolicy(RegistrationRules{}).refusal("127.0.0.1"), "");       // no rules: development
}

TEST(Roles, ParseTheFourRolesAndRefuseAnythingElse) {
  std::string problem;
  EXPECT_EQ(Role::parse("service:data-bridge", problem)->to_string(), "service:data-bridge");
  for (const char* role : {"admin", "operator", "reader"}) EXPECT_EQ(Role::parse(role, problem)->to_string(), role);
  EXPECT_FALSE(Role::parse("root", problem));
  EXPECT_NE(problem.find("not a role"), std::string::npos);
  EXPECT_FALSE(Role::parse("service:", problem));
  EXPECT_FALSE(Role::parse("service:../etc", problem));
}

TEST(Roles, OnlyAServiceItselfOrAnAdminSpeaksForIt) {
  std::string problem;
  const Role a = *Role::parse("service:a", problem);
  EXPECT_TRUE(a.speaks_for("a"));
  EXPECT_FALSE(a.speaks_for("b"));
  EXPECT_TRUE(Role::parse("admin", problem)->speaks_for("b"));
  EXPECT_FALSE(Role::parse("operator", problem)->speaks_for("b"));
  EXPECT_TRUE(permits(a, Access::own_config, "a"));
  EXPECT_FALSE(permits(a, Access::own_config, "b"));
  EXPECT_FALSE(permits(*Role::parse("reader", problem), Access::operate, ""));
  EXPECT_EQ(access_of("PATCH", "/a-route-nobody-listed"), Access::administer);  // closed until given a rule
}

TEST(Tokens, AreRandomUnguessableAndStoredAsTheirHashOnly) {
  std::set<std::string> seen, ids;
  for (int i = 0; i < 200; ++i) {
    const NewToken made = make_token(Role{}, "", 1, 0);
    EXPECT_TRUE(made.token.starts_with("hub_"));
    EXPECT_EQ(made.token.size(), 4u + 43u);  // 256 bits in base64url
    EXPECT_EQ(made.record.sha256, token_sha256(made.token));
    EXPECT_EQ(made.record.sha256.find(made.token), std::string::npos);
    EXPECT_TRUE(seen.insert(made.token).second);
    EXPECT_TRUE(ids.insert(made.record.id).second);
  }
  EXPECT_EQ(token_sha256("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_TRUE(is_sha256_hex(token_sha256("x")));
  EXPECT_FALSE(is_sha256_hex("not-a-hash"));
}

}  // namespace
}  // namespace hub::security
