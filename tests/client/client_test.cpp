// hub::Client against a real hub: register, heartbeats, re-registration,
// discovery, deregistration, refusals and the retry backoff.
#include "support/registry_hub.hpp"

#include <hub/client.hpp>

#include <Poco/Net/ServerSocket.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <condition_variable>

namespace {

using testing::HasSubstr;

// Waits for `done` with a deadline, polling a hub that changes on its own threads.
template <class Condition>
bool eventually(Condition done) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));  // polling interval
  }
  return true;
}

class ClientTest : public ::testing::Test {
 protected:
  hub::ClientOptions options(std::chrono::milliseconds heartbeat = std::chrono::seconds(30)) {
    hub::ClientOptions options;
    options.hub_url = hub_.url();
    options.heartbeat_interval = heartbeat;
    return options;
  }
  hub::testing::TestHub hub_{hub::testing::registry_options()};
};

TEST_F(ClientTest, RegistersDiscoversAndDeregistersOnDestruction) {
  {
    hub::Client client(options());
    const auto warnings =
        client.register_service({.name = "collector", .host = "10.0.0.5", .port = 8002, .version = "1.2.3", .dependencies = {"nats"}});
    ASSERT_EQ(warnings.size(), 1u);
    EXPECT_THAT(warnings[0], HasSubstr("\"nats\" is not registered"));
    EXPECT_EQ(client.discover("collector"), "http://10.0.0.5:8002");
    const auto instances = client.instances("collector");
    ASSERT_EQ(instances.size(), 1u);
    EXPECT_EQ(instances[0].version, "1.2.3");
    EXPECT_EQ(client.services("healthy").size(), 1u);
    EXPECT_TRUE(client.instances("nobody").empty());
    try {
      client.discover("nobody");
      FAIL() << "discover of an unknown service must throw";
    } catch (const hub::ClientError& error) {
      EXPECT_EQ(error.status(), 404);
      EXPECT_THAT(error.what(), HasSubstr("service \"nobody\" is not registered"));
    }
  }
  EXPECT_EQ(hub_.get("/services/collector").status, 404);
}

TEST_F(ClientTest, ARefusedRegistrationThrowsAtOnceWithTheHubsMessage) {
  hub::Client client(options());
  try {
    client.register_service({.name = "bad name", .host = "h", .port = 1});
    FAIL() << "a 400 must throw";
  } catch (const hub::ClientError& error) {
    EXPECT_EQ(error.status(), 400);
    EXPECT_THAT(error.what(), HasSubstr("service_name: \"bad name\" is not a service name"));
  }
  EXPECT_EQ(client.registrations(), 0);
}

TEST_F(ClientTest, HeartbeatsCarryTheReportedStatusAndReRegisterWhenTheHubForgot) {
  hub::Client client(options(std::chrono::milliseconds(10)));
  client.register_service({.name = "risk", .host = "10.0.0.9", .port = 7000});
  std::atomic<bool> degraded{false};
  client.start_heartbeats([&] {
    return std::make_pair(std::string(degraded ? "degraded" : "healthy"), std::map<std::string, double>{{"cpu", 0.5}});
  });
  ASSERT_TRUE(eventually([&] { return client.heartbeats_sent() >= 2; }));
  degraded = true;
  ASSERT_TRUE(eventually([&] { return hub_.get("/services?status=degraded").body.find("\"risk\"") != std::string::npos; }));

  // The hub drops the instance (as the liveness policy would); the next heartbeat gets a 404 and registers again.
  ASSERT_EQ(hub_.post("/deregister", R"({"service_name": "risk"})").status, 200);
  ASSERT_TRUE(eventually([&] { return client.registrations() == 2 && hub_.get("/services/risk").status == 200; }));
  client.stop();
}

TEST_F(ClientTest, RegistrationRetriesWithBackoffUntilTheHubAnswers) {
  uint16_t port = 0;
  {
    Poco::Net::ServerSocket probe(Poco::Net::SocketAddress("127.0.0.1", 0));
    port = probe.address().port();
  }  // closed: nothing listens there now
  hub::ClientOptions retrying;
  retrying.hub_url = "http://127.0.0.1:" + std::to_string(port);
  retrying.initial_backoff = std::chrono::milliseconds(20);
  retrying.max_backoff = std::chrono::milliseconds(100);
  std::mutex mutex;
  std::condition_variable failed;
  std::vector<std::chrono::milliseconds> waits;
  retrying.on_retry = [&](int, std::chrono::milliseconds wait, const std::string& why) {
    EXPECT_THAT(why, HasSubstr("cannot reach the hub"));
    std::lock_guard lock(mutex);
    waits.push_back(wait);
    failed.notify_all();
  };
  hub::Client client(retrying);
  std::thread registering([&] { client.register_service({.name = "late-starter", .host = "10.0.0.1", .port = 9000}); });
  {
    std::unique_lock lock(mutex);
    ASSERT_TRUE(failed.wait_for(lock, std::chrono::seconds(10), [&] { return waits.size() >= 3; }));
  }
  hub::HubOptions on_port = hub::testing::registry_options();
  on_port.manifest.listen.port = port;
  hub::testing::TestHub late(std::move(on_port));
  registering.join();
  EXPECT_EQ(late.get("/services/late-starter").status, 200);
  std::lock_guard lock(mutex);
  EXPECT_GE(waits[0].count(), 10);  // attempt 1: 20 ms with equal jitter, 10..20
  EXPECT_LE(waits[0].count(), 20);
  for (auto wait : waits) EXPECT_LE(wait.count(), 100);
}

TEST(ClientBackoff, DoublesPerAttemptIsCappedAndJittersTheUpperHalf) {
  hub::ClientOptions options;
  options.initial_backoff = std::chrono::milliseconds(100);
  options.max_backoff = std::chrono::milliseconds(1000);
  EXPECT_EQ(hub::backoff_delay(1, options, 0).count(), 50);
  EXPECT_EQ(hub::backoff_delay(1, options, 1).count(), 100);
  EXPECT_EQ(hub::backoff_delay(3, options, 0.5).count(), 300);  // 400: 200 fixed + 100 of jitter
  EXPECT_EQ(hub::backoff_delay(30, options, 1).count(), 1000);
  EXPECT_EQ(hub::backoff_delay(1000, options, 0).count(), 500);
}

TEST(ClientGivesUp, AfterMaxAttemptsSayingWhy) {
  hub::ClientOptions options;
  options.hub_url = "http://127.0.0.1:1";
  options.initial_backoff = std::chrono::milliseconds(1);
  options.max_register_attempts = 2;
  hub::Client client(options);
  EXPECT_THAT([&] { client.register_service({.name = "x", .host = "h", .port = 1}); },
              testing::ThrowsMessage<hub::ClientError>(HasSubstr("gave up registering after 2 attempts")));
  EXPECT_THROW(hub::Client({.hub_url = "ftp://x"}), std::invalid_argument);
}

}  // namespace
