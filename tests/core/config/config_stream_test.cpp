// WebSocket push of config changes: GET /config/{service}/stream.
#include "http/websocket.hpp"
#include "support/config_hub.hpp"

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/WebSocket.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <thread>

namespace {

using hub::testing::Json;
using hub::testing::json_of;
using hub::testing::TestHub;
using Poco::Net::WebSocket;

class ConfigStream : public testing::Test {
 protected:
  void SetUp() override { hub_ = std::make_unique<TestHub>(hub::testing::config_options()); }
  std::unique_ptr<WebSocket> connect(const std::string& path) {
    session_ = std::make_unique<Poco::Net::HTTPClientSession>("127.0.0.1", (*hub_)->port());
    Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_GET, path, Poco::Net::HTTPMessage::HTTP_1_1);
    Poco::Net::HTTPResponse response;
    auto socket = std::make_unique<WebSocket>(*session_, request, response);
    socket->setReceiveTimeout(Poco::Timespan(10, 0));
    return socket;
  }
  // The next frame's payload and opcode; throws Poco::TimeoutException after 10 s.
  static std::pair<std::string, int> next(WebSocket& socket) {
    std::string buffer(1 << 20, '\0');
    int flags = 0;
    const int n = socket.receiveFrame(buffer.data(), static_cast<int>(buffer.size()), flags);
    return {buffer.substr(0, static_cast<size_t>(std::max(n, 0))), flags & WebSocket::FRAME_OP_BITMASK};
  }
  void put(const std::string& config) {
    ASSERT_EQ(hub::testing::put_config(hub_->url() + "/config/svc", R"({"config_data": )" + config + "}").status, 201);
  }

  std::unique_ptr<TestHub> hub_;
  std::unique_ptr<Poco::Net::HTTPClientSession> session_;
};

TEST(WebSocketHandshake, AcceptKeyIsTheRfcExample) {
  EXPECT_EQ(hub::http::websocket::accept_key("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

TEST_F(ConfigStream, PushesTheCurrentConfigThenEveryChangeIncludingRollbacks) {
  put(R"({"limit": 1})");
  auto socket = connect("/config/svc/stream");
  auto [current, opcode] = next(*socket);
  EXPECT_EQ(opcode, WebSocket::FRAME_OP_TEXT);
  EXPECT_EQ(Json::parse(current)["version"], 1);

  put(R"({"limit": 2, "text": ")" + std::string(70000, 'x') + R"("})");  // a frame with a 64-bit length
  const Json second = Json::parse(next(*socket).first);
  EXPECT_EQ(second["version"], 2);
  EXPECT_EQ(second["config"]["text"].get<std::string>().size(), 70000u);
  ASSERT_EQ(hub_->post("/config/svc/rollback", R"({"version": 1})").status, 200);
  const Json rolled = Json::parse(next(*socket).first);
  EXPECT_EQ(rolled["version"], 1);
  EXPECT_EQ(rolled["config"]["limit"], 1);
}

TEST_F(ConfigStream, WithAnIndexOnlyNewerChangesArePushed) {
  put(R"({"limit": 1})");
  const int revision = json_of(hub_->get("/config/svc"))["revision"];
  auto socket = connect("/config/svc/stream?index=" + std::to_string(revision));
  put(R"({"limit": 2})");
  EXPECT_EQ(Json::parse(next(*socket).first)["version"], 2);
}

TEST_F(ConfigStream, APingIsAnsweredAndACloseIsReturned) {
  auto socket = connect("/config/svc/stream");
  next(*socket);  // the current config
  socket->sendFrame("hello", 5, static_cast<int>(WebSocket::FRAME_FLAG_FIN) | static_cast<int>(WebSocket::FRAME_OP_PING));
  auto [payload, opcode] = next(*socket);
  EXPECT_EQ(opcode, WebSocket::FRAME_OP_PONG);
  EXPECT_EQ(payload, "hello");
  socket->shutdown();  // sends a close frame
  EXPECT_EQ(next(*socket).second, WebSocket::FRAME_OP_CLOSE);
}

// hub_config_watchers from /metrics, read until it equals `expected` or 10 s pass.
bool watchers_become(const TestHub& hub, int expected) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  const std::string line = "\nhub_config_watchers " + std::to_string(expected) + "\n";
  while (std::chrono::steady_clock::now() < deadline) {
    if (hub.get("/metrics").body.find(line) != std::string::npos) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));  // polling a condition, bounded by the deadline
  }
  return false;
}

TEST_F(ConfigStream, AStreamWhoseClientLeftNoLongerCountsAsAWatcher) {
  auto socket = connect("/config/svc/stream");
  next(*socket);  // the current config; the stream now parks a watch
  EXPECT_TRUE(watchers_become(*hub_, 1));
  socket->close();  // the TCP connection goes, without a close frame
  EXPECT_TRUE(watchers_become(*hub_, 0));
  put(R"({"limit": 3})");  // a change after the client left finds nobody to push to
  EXPECT_TRUE(watchers_become(*hub_, 0));
}

TEST_F(ConfigStream, ABadServiceNameClosesTheStreamWithTheReason) {
  auto socket = connect("/config/-bad/stream");
  auto [payload, opcode] = next(*socket);
  EXPECT_EQ(opcode, WebSocket::FRAME_OP_CLOSE);
  EXPECT_THAT(payload, testing::HasSubstr("is not a service name"));
}

TEST_F(ConfigStream, APlainGetIsToldToUpgrade) {
  const hub::HttpReply reply = hub_->get("/config/svc/stream");
  EXPECT_EQ(reply.status, 426);
  EXPECT_THAT(json_of(reply)["message"].get<std::string>(), testing::HasSubstr("is a WebSocket"));
}

}  // namespace
