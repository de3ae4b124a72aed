// GET /events/stream (the hub's events over a WebSocket, for the dashboard) and GET /whoami; the
// token a browser offers as a WebSocket protocol.
#include "support/config_hub.hpp"
#include "support/raw_http.hpp"
#include "support/secured_hub.hpp"

#include <Poco/Base64Encoder.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/WebSocket.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <sstream>

namespace {

using hub::testing::kAdminToken;
using hub::testing::RawConnection;
using hub::testing::SecuredHub;
using nlohmann::json;
using Poco::Net::WebSocket;
using testing::HasSubstr;

struct Stream {
  std::unique_ptr<Poco::Net::HTTPClientSession> session;
  std::unique_ptr<WebSocket> socket;
  std::string protocol;  // Sec-WebSocket-Protocol of the hub's answer

  // The next text message as JSON; throws Poco::TimeoutException after 10 s.
  json next() {
    std::string buffer(1 << 20, '\0');
    int flags = 0;
    const int n = socket->receiveFrame(buffer.data(), static_cast<int>(buffer.size()), flags);
    if ((flags & WebSocket::FRAME_OP_BITMASK) == WebSocket::FRAME_OP_CLOSE)
      return {{"closed", buffer.substr(2, static_cast<size_t>(n) - 2)}};
    return json::parse(buffer.substr(0, static_cast<size_t>(std::max(n, 0))));
  }
};

Stream open(uint16_t port, const std::string& path, const std::string& protocols = "", const std::string& token = "") {
  Stream stream;
  stream.session = std::make_unique<Poco::Net::HTTPClientSession>("127.0.0.1", port);
  Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_GET, path, Poco::Net::HTTPMessage::HTTP_1_1);
  if (!protocols.empty()) request.set("Sec-WebSocket-Protocol", protocols);
  if (!token.empty()) request.set("Authorization", "Bearer " + token);
  Poco::Net::HTTPResponse response;
  stream.socket = std::make_unique<WebSocket>(*stream.session, request, response);
  stream.socket->setReceiveTimeout(Poco::Timespan(10, 0));
  stream.protocol = response.get("Sec-WebSocket-Protocol", "");
  return stream;
}

std::string base64url(const std::string& text) {
  std::ostringstream out;
  Poco::Base64Encoder encoder(out, Poco::BASE64_URL_ENCODING | Poco::BASE64_NO_PADDING);
  encoder << text;
  encoder.close();
  return out.str();
}

TEST(EventStream, CarriesTheHubsEventsOfTheTopicsAsked) {
  hub::testing::TestHub hub(hub::testing::registry_options());
  Stream all = open(hub->port(), "/events/stream");
  Stream config = open(hub->port(), "/events/stream?topics=config.,nothing.");
  EXPECT_EQ(all.next()["topic"], "stream.opened");
  EXPECT_EQ(config.next()["topic"], "stream.opened");

  ASSERT_EQ(hub.post("/register", R"({"service_name": "orders", "host": "10.0.0.1", "port": 8000})").status, 201);
  const json registered = all.next();
  EXPECT_EQ(registered["topic"], "instance.registered");
  EXPECT_EQ(registered["data"]["service_name"], "orders");
  EXPECT_TRUE(registered["at"].is_string());
  ASSERT_EQ(hub::testing::put_config(hub.url() + "/config/orders", R"({"config_data": {"limit": 1}})").status, 201);
  // The config stream skipped the registration: its first event is the config change.
  EXPECT_THAT(config.next()["topic"].get<std::string>(), testing::StartsWith("config."));
}

TEST(EventStream, MalformedTopicsEndTheStreamWithTheReason) {
  hub::testing::TestHub hub(hub::testing::registry_options());
  std::string many = "/events/stream?topics=";
  for (int i = 0; i < 40; ++i) many += "t" + std::to_string(i) + ".,";
  EXPECT_THAT(open(hub->port(), many).next()["closed"].get<std::string>(), HasSubstr("at most 32 prefixes"));
  EXPECT_THAT(open(hub->port(), "/events/stream?topics=%zz").next()["closed"].get<std::string>(), HasSubstr("malformed"));
}

// A browser cannot set Authorization on a WebSocket: it offers the token as a protocol.
TEST(EventStream, TakesATokenOfferedAsAProtocolAndNamesTheProtocolBack) {
  SecuredHub hub;
  const std::string reader = hub.token("reader");
  EXPECT_THROW(open(hub->port(), "/events/stream"), Poco::Net::WebSocketException);  // 401
  Stream offered = open(hub->port(), "/events/stream", "hub, hub.bearer." + base64url(reader));
  EXPECT_EQ(offered.protocol, "hub");
  EXPECT_EQ(offered.next()["topic"], "stream.opened");
  Stream header = open(hub->port(), "/events/stream", "", reader);  // as other clients do
  EXPECT_EQ(header.protocol, "");
  EXPECT_EQ(header.next()["topic"], "stream.opened");

  const auto handshake = [&](const std::string& extra) {
    RawConnection connection(hub->port());
    connection.send(
        "GET /events/stream HTTP/1.1\r\nHost: hub\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n" +
        extra + "\r\n");
    return connection.answer();
  };
  EXPECT_EQ(handshake("Sec-WebSocket-Protocol: hub, hub.bearer.not*base64\r\n").status, 400);
  const auto both = handshake("Authorization: Bearer " + reader + "\r\nSec-WebSocket-Protocol: hub.bearer." + base64url(reader) + "\r\n");
  EXPECT_EQ(both.status, 400);
  EXPECT_THAT(both.body, HasSubstr("more than one Authorization"));
  const auto unknown = handshake("Sec-WebSocket-Protocol: hub, hub.bearer." + base64url("hub_no-such-token") + "\r\n");
  EXPECT_EQ(unknown.status, 401);
  EXPECT_THAT(unknown.body, HasSubstr("not known"));
}

// A client that stops reading is cut off once 4 MiB wait for it, not followed without bound.
TEST(EventStream, AClientThatStopsReadingIsClosedNotBuffered) {
  hub::testing::TestHub hub(hub::testing::registry_options());
  RawConnection idle(hub->port());
  idle.send(
      "GET /events/stream?topics=test. HTTP/1.1\r\nHost: hub\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
  // The handshake's answer, then "stream.opened" (in one read or several): the subscription is in place.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (idle.unread().find("stream.opened") == std::string::npos && std::chrono::steady_clock::now() < deadline)
    idle.fill(idle.unread().size() + 1, std::chrono::milliseconds(100));
  ASSERT_THAT(idle.unread(), HasSubstr("101 Switching Protocols"));
  ASSERT_THAT(idle.unread(), HasSubstr("stream.opened"));
  const std::string payload = "{\"pad\":\"" + std::string(64 * 1024, 'x') + "\"}";
  constexpr int kEvents = 480;  // 30 MiB
  for (int i = 0; i < kEvents; ++i) hub->events().publish({"test.big", payload, 0});
  EXPECT_TRUE(idle.closed_by_peer(std::chrono::seconds(30)));
  EXPECT_THAT(idle.unread(), HasSubstr("the client read too slowly"));
  EXPECT_LT(idle.unread().size(), size_t{kEvents} * payload.size() / 2) << "the hub queued what the client never read";
}

TEST(Whoami, SaysWhoATokenIsAndWhetherItOperates) {
  SecuredHub hub;
  EXPECT_EQ(hub.call("GET", "/whoami").status, 401);
  const json reader = json::parse(hub.call("GET", "/whoami", hub.token("reader")).body);
  EXPECT_EQ(reader["role"], "reader");
  EXPECT_EQ(reader["operates"], false);
  EXPECT_EQ(reader["auth_required"], true);
  const json admin = json::parse(hub.call("GET", "/whoami", kAdminToken).body);
  EXPECT_EQ(admin["operates"], true);
  EXPECT_EQ(admin["administers"], true);

  hub::testing::TestHub open_hub(hub::testing::registry_options());
  const json anonymous = json::parse(open_hub.get("/whoami").body);
  EXPECT_EQ(anonymous["id"], "anonymous");
  EXPECT_EQ(anonymous["auth_required"], false);
}

TEST(Dashboard, IsServedFromTheBinaryToAnyoneWithAPolicyThatKeepsItToItsOrigin) {
  SecuredHub hub;
  for (const char* path : {"/ui", "/ui/"}) {
    RawConnection connection(hub->port());
    connection.send("GET " + std::string(path) + " HTTP/1.1\r\nHost: hub\r\n\r\n");
    const auto page = connection.answer();
    ASSERT_EQ(page.status, 200) << path;
    EXPECT_THAT(page.body, HasSubstr("<script type=\"module\" src=\"/ui/app.js\">"));
    EXPECT_THAT(page.head, HasSubstr("Content-Type: text/html"));
    EXPECT_THAT(page.head, HasSubstr("default-src 'self'"));
    EXPECT_THAT(page.head, HasSubstr("frame-ancestors 'none'"));
    EXPECT_THAT(page.head, HasSubstr("X-Content-Type-Options: nosniff"));
  }
  const auto script = hub.call("GET", "/ui/app.js");
  EXPECT_EQ(script.status, 200);
  EXPECT_THAT(script.content_type, HasSubstr("text/javascript"));
  const auto chart = hub.call("GET", "/ui/vendor/uPlot.esm.js");
  EXPECT_EQ(chart.status, 200);
  EXPECT_NE(chart.body.find("export { uPlot as default }"), std::string::npos) << "not uPlot's ES module";
  EXPECT_EQ(hub.call("GET", "/ui/no-such-file.js").status, 404);
  EXPECT_EQ(hub.call("GET", "/ui/..%2Fhub.yaml").status, 404);
  EXPECT_EQ(hub.call("GET", "/ui/vendor/..%2F..%2Fetc%2Fpasswd").status, 404);
}

}  // namespace
