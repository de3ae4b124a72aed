// Both clients against a hub with auth and TLS: the token and the CA come from the options or the
// service's environment (HUB_TOKEN, HUB_CA_FILE); the hub refuses a client without.
#include "support/free_port.hpp"
#include "support/secured_hub.hpp"
#include "support/sigpipe.hpp"
#include "support/test_ca.hpp"

#include <hub/client.hpp>
#include <hub/config_client.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>

namespace {

using testing::HasSubstr;

class SecuredClient : public ::testing::Test {
 protected:
  hub::testing::TestCa ca_{"client"};
  hub::testing::IssuedCertificate issued_ = ca_.issue("hub", "hub");
  hub::testing::SecuredHub hub_{hub::testing::secured_options(
      "{backend: memory}", "tls: {certificate: " + issued_.certificate.string() + ", key: " + issued_.key.string() + "}\n")};
  void SetUp() override { hub_.trust(ca_.ca().string()); }
  hub::ClientOptions options(const std::string& token) const {
    hub::ClientOptions options;
    options.hub_url = hub_.url();
    options.token = token;
    options.ca_file = ca_.ca().string();
    options.max_register_attempts = 1;
    return options;
  }
};

TEST_F(SecuredClient, RegistersWithItsServiceTokenOverHttps) {
  const std::string token = hub_.token("service:collector");
  hub::Client client(options(token));
  client.register_service({.name = "collector", .host = "10.0.0.5", .port = 8002});
  client.heartbeat();
  EXPECT_EQ(client.discover("collector"), "http://10.0.0.5:8002");
  try {
    hub::Client other(options(token));
    other.register_service({.name = "payments", .host = "10.0.0.5", .port = 8003});
    FAIL() << "a collector token registered payments";
  } catch (const hub::ClientError& refused) {
    EXPECT_EQ(refused.status(), 403);
  }
}

TEST_F(SecuredClient, TakesTheTokenAndCaFromTheEnvironment) {
  const std::string token = hub_.token("service:collector");
  ::setenv("HUB_TOKEN", token.c_str(), 1);
  ::setenv("HUB_CA_FILE", ca_.ca().c_str(), 1);
  hub::ClientOptions from_environment;
  from_environment.hub_url = hub_.url();
  hub::Client client(from_environment);
  ::unsetenv("HUB_TOKEN");
  ::unsetenv("HUB_CA_FILE");
  EXPECT_TRUE(client.register_service({.name = "collector", .host = "10.0.0.5", .port = 8002}).empty());
}

TEST_F(SecuredClient, WithoutATokenTheHubRefusesAtOnce) {
  hub::Client client(options(""));
  try {
    client.register_service({.name = "collector", .host = "10.0.0.5", .port = 8002});
    FAIL() << "registered without a token";
  } catch (const hub::ClientError& refused) {
    EXPECT_EQ(refused.status(), 401);
    EXPECT_THAT(refused.what(), HasSubstr("requires a token"));
  }
}

TEST_F(SecuredClient, AClientTrustingAnotherCaCannotReachTheHub) {
  hub::testing::TestCa stranger("stranger");
  hub::ClientOptions wrong = options(hub_.token("service:collector"));
  wrong.ca_file = stranger.ca().string();
  hub::Client client(wrong);
  try {
    client.register_service({.name = "collector", .host = "10.0.0.5", .port = 8002});
    FAIL() << "trusted a hub its CA did not sign";
  } catch (const hub::ClientError& refused) {
    EXPECT_EQ(refused.status(), 0);
  }
}

TEST(SecuredClientRestart, AHubThatRestartsUnderAKeptConnectionDoesNotKillTheService) {
  // As in a service nobody blocked SIGPIPE in: OpenSSL writes with write(), so a write to the
  // connection the old hub closed must not raise it.
  ASSERT_TRUE(hub::testing::let_sigpipe_kill());
  hub::testing::TestCa ca("restart");
  const auto issued = ca.issue("hub", "hub");
  const uint16_t port = hub::testing::free_port();
  const auto options = [&] {
    hub::HubOptions made = hub::testing::secured_options(
        "{backend: memory}", "tls: {certificate: " + issued.certificate.string() + ", key: " + issued.key.string() + "}\n");
    made.manifest.listen.port = port;
    return made;
  };
  auto first = std::make_unique<hub::testing::SecuredHub>(options());
  first->trust(ca.ca().string());
  hub::ClientOptions client_options;
  client_options.hub_url = first->url();
  client_options.token = first->token("service:collector");
  client_options.ca_file = ca.ca().string();
  hub::Client client(client_options);
  client.register_service({.name = "collector", .host = "10.0.0.5", .port = 8002});
  first.reset();
  hub::testing::SecuredHub second(options());
  second.trust(ca.ca().string());
  // The new hub has lost the instance (memory storage) and the token; what matters is that the
  // client lives to hear so.
  try {
    client.heartbeat();
  } catch (const hub::ClientError& refused) {
    EXPECT_EQ(refused.status(), 401);
  }
}

TEST_F(SecuredClient, TheConfigClientReadsItsOwnConfigWithItsToken) {
  ASSERT_EQ(hub_.call("PUT", "/config/collector", hub::testing::kAdminToken, R"({"config_data":{"batch":5}})",
                      [&] {
                        hub::HttpCallOptions trust;
                        trust.ca_file = ca_.ca().string();
                        return trust;
                      }())
                .status,
            201);
  hub::ConfigClientOptions config_options;
  config_options.hub_url = hub_.url();
  config_options.token = hub_.token("service:collector");
  config_options.ca_file = ca_.ca().string();
  config_options.cache_file = std::filesystem::temp_directory_path() / ("secured-config-" + std::to_string(::getpid()) + ".json");
  config_options.log = [](const std::string&, const std::string&) {};
  hub::ConfigClient config("collector", {{"batch", 1}}, config_options);
  EXPECT_EQ(config.init(), hub::ConfigSource::hub);
  EXPECT_EQ(config.get_config()["batch"], 5);
  std::filesystem::remove(config_options.cache_file);
}

}  // namespace
