// A token stops working the moment it is revoked or expires: on connections already open, on
// streams already open, and when it is revoked offline (hubd token revoke) behind a running hub.
#include "support/raw_http.hpp"
#include "support/secured_hub.hpp"
#include "support/storage_backend.hpp"

#include <hub/token_admin.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <thread>

namespace hub {
namespace {

using testing::kAdminToken;
using testing::SecuredHub;

std::string get_with(const std::string& token, const std::string& path = "/services") {
  return "GET " + path + " HTTP/1.1\r\nHost: hub\r\nAuthorization: Bearer " + token + "\r\n\r\n";
}

// Polls `probe` until it holds or the deadline passes.
template <class Probe>
bool eventually(Probe probe, std::chrono::milliseconds within = std::chrono::seconds(10)) {
  const auto deadline = std::chrono::steady_clock::now() + within;
  while (std::chrono::steady_clock::now() < deadline) {
    if (probe()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return probe();
}

TEST(Revocation, ARevokedTokenIsRefusedOnTheNextRequestOfAConnectionAlreadyOpen) {
  SecuredHub hub;
  std::string id;
  const std::string reader = hub.token("reader", &id);
  testing::RawConnection kept(hub->port());
  kept.send(get_with(reader));
  ASSERT_EQ(kept.answer().status, 200);

  const HttpReply revoked = hub.call("DELETE", "/tokens/" + id, kAdminToken);
  ASSERT_EQ(revoked.status, 200) << revoked.body;

  kept.send(get_with(reader));
  const testing::RawAnswer refused = kept.answer();
  EXPECT_EQ(refused.status, 401);
  EXPECT_NE(refused.body.find("revoked"), std::string::npos) << refused.body;
  const auto listed = nlohmann::json::parse(hub.call("GET", "/tokens", kAdminToken).body);
  bool shown = false;
  for (const auto& token : listed["tokens"])
    if (token["id"] == id) shown = !token["revoked_at"].get<std::string>().empty();
  EXPECT_TRUE(shown) << listed.dump();
  EXPECT_EQ(hub.call("DELETE", "/tokens/no-such-id", kAdminToken).status, 404);
}

TEST(Revocation, AnExpiredTokenIsRefusedAtOnce) {
  auto clock = std::make_shared<ManualClock>();
  SecuredHub hub(testing::secured_options("{backend: memory}", "", clock));
  const std::string brief = hub.token("reader", nullptr, R"(,"expires_in_seconds":60)");
  EXPECT_EQ(hub.call("GET", "/services", brief).status, 200);
  testing::RawConnection kept(hub->port());  // a connection that used it before it expired
  kept.send(get_with(brief));
  ASSERT_EQ(kept.answer().status, 200);
  clock->advance(std::chrono::seconds(61));
  const HttpReply late = hub.call("GET", "/services", brief);
  EXPECT_EQ(late.status, 401);
  EXPECT_NE(late.body.find("expired"), std::string::npos) << late.body;
  kept.send(get_with(brief));
  EXPECT_EQ(kept.answer().status, 401);
  EXPECT_EQ(hub.call("POST", "/tokens", kAdminToken, R"({"role":"reader","expires_in_seconds":0})").status, 400);
}

TEST(Revocation, RevokingEndsAStreamOpenedWithTheToken) {
  SecuredHub hub;
  std::string id;
  const std::string own = hub.token("service:a", &id);
  testing::RawConnection stream(hub->port());
  stream.send(
      "GET /config/a/stream HTTP/1.1\r\nHost: hub\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nAuthorization: Bearer " +
      own + "\r\n\r\n");
  ASSERT_TRUE(stream.fill(12));
  ASSERT_EQ(stream.unread().substr(0, 12), "HTTP/1.1 101");
  ASSERT_EQ(hub.call("DELETE", "/tokens/" + id, kAdminToken).status, 200);
  EXPECT_TRUE(stream.closed_by_peer());
  EXPECT_NE(stream.unread().find("revoked"), std::string::npos);  // the close frame's reason
}

TEST(Revocation, ATokenRevokedOfflineIsRefusedByTheRunningHubWithinAPass) {
  testing::ScratchStore store(testing::Backend::sqlite);
  HubOptions options = testing::secured_options(store.yaml());
  options.housekeeping_interval = std::chrono::milliseconds(50);
  const Manifest manifest = options.manifest;
  SecuredHub hub(std::move(options));
  std::string id;
  const std::string reader = hub.token("reader", &id);
  ASSERT_EQ(hub.call("GET", "/services", reader).status, 200);

  ASSERT_TRUE(revoke_token(manifest, id));  // what `hubd token revoke` does, on the same database
  EXPECT_TRUE(eventually([&] { return hub.call("GET", "/services", reader).status == 401; }));

  const IssuedToken made = create_token(manifest, "operator", "made offline", 0);  // and `hubd token create`
  EXPECT_TRUE(eventually([&] { return hub.call("GET", "/services", made.token).status == 200; }));
  EXPECT_FALSE(revoke_token(manifest, "no-such-id"));
  EXPECT_THROW(create_token(manifest, "superuser", "", 0), std::invalid_argument);
}

TEST(Revocation, TokensSurviveARestartAsHashesOnly) {
  testing::ScratchStore store(testing::Backend::sqlite);
  std::string token, id;
  {
    SecuredHub hub(testing::secured_options(store.yaml()));
    token = hub.token("operator", &id);
  }
  const auto hashes = store.column("SELECT token_sha256 FROM hub_tokens WHERE id = '" + id + "'");
  ASSERT_EQ(hashes.size(), 1u);
  EXPECT_EQ(hashes[0], security::token_sha256(token));
  EXPECT_TRUE(
      store.column("SELECT id FROM hub_tokens WHERE token_sha256 LIKE '%" + token + "%' OR description LIKE '%" + token + "%'").empty());
  SecuredHub again(testing::secured_options(store.yaml()));
  EXPECT_EQ(again.call("GET", "/services", token).status, 200);
}

}  // namespace
}  // namespace hub
