// Against a real nats-server: tools/dev test starts one on a loopback port of
// its own and exports HUB_TEST_NATS_URL.
#include <hub/testing.hpp>

#include "support/integration_servers.hpp"
#include "support/log_capture.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nats/nats.h>

#include <cstdlib>

using testing::HasSubstr;

namespace {

class NatsEvents : public testing::Test {
 protected:
  void SetUp() override {
    const auto url = hub::testing::test_nats_url();
    HUB_NEED_SERVER(url, "HUB_TEST_NATS_URL", "NATS server");
    url_ = *url;
  }
  void TearDown() override {
    natsSubscription_Destroy(subscription_);
    natsConnection_Destroy(connection_);
  }

  // A plain NATS client listening on `subject`, as another service would.
  void listen(const std::string& subject) {
    ASSERT_EQ(natsConnection_ConnectTo(&connection_, url_.c_str()), NATS_OK);
    ASSERT_EQ(natsConnection_SubscribeSync(&subscription_, connection_, subject.c_str()), NATS_OK);
    ASSERT_EQ(natsConnection_Flush(connection_), NATS_OK);
  }
  // The next message's subject and data, waiting at most 10 s.
  std::pair<std::string, std::string> next() {
    natsMsg* message = nullptr;
    if (natsSubscription_NextMsg(&message, subscription_, 10000) != NATS_OK) return {"(none within 10 s)", ""};
    std::pair<std::string, std::string> got{natsMsg_GetSubject(message),
                                            std::string(natsMsg_GetData(message), natsMsg_GetDataLength(message))};
    natsMsg_Destroy(message);
    return got;
  }
  hub::HubOptions options_with(const std::string& url, const std::string& prefix) {
    hub::HubOptions options = hub::testing::test_options();
    options.manifest.events.nats = hub::NatsSettings{url, prefix};
    return options;
  }

  std::string url_;
  natsConnection* connection_ = nullptr;
  natsSubscription* subscription_ = nullptr;
};

}  // namespace

TEST_F(NatsEvents, TheHubPublishesItsStartAndStopOnNats) {
  listen("itest.hub.>");
  auto log = std::make_shared<hub::testing::LogCapture>();
  {
    hub::HubOptions options = options_with(url_, "itest");
    options.manifest.logging.level = "info";
    options.log_lines = log->sink();
    hub::testing::TestHub hub(std::move(options));
    const auto [subject, data] = next();
    EXPECT_EQ(subject, "itest.hub.started");
    EXPECT_THAT(data, HasSubstr("\"listen\":\"127.0.0.1:" + std::to_string(hub->port()) + "\""));
    hub::HttpReply health = hub.get("/health");
    EXPECT_THAT(health.body, HasSubstr(R"("status":"healthy")"));
    EXPECT_THAT(health.body, HasSubstr(R"("events":[{"name":"nats","status":"healthy","message":"connected to )" + url_));
  }
  const auto [subject, data] = next();
  EXPECT_EQ(subject, "itest.hub.stopping");
  EXPECT_EQ(data, R"({"deployment":"embedded"})");
  EXPECT_EQ(log->count("disconnected"), 0u) << "the hub's own close is no news:\n" << log->all();
}

TEST_F(NatsEvents, TheHubStartsAndServesWhileNatsIsUnreachable) {
  // Port 1 on loopback: nothing listens there, so every connect is refused.
  hub::testing::TestHub hub(options_with("nats://127.0.0.1:1", "itest"));
  hub::HttpReply health = hub.get("/health");
  EXPECT_EQ(health.status, 200);
  EXPECT_THAT(health.body, HasSubstr(R"("status":"degraded")"));
  EXPECT_THAT(health.body, HasSubstr(R"("name":"nats","status":"down","message":"not connected to nats://127.0.0.1:1; retrying")"));
}
