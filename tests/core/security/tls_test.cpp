// HTTPS and WSS on the hub's own front, with certificates made by the openssl command: the right
// CA is trusted, a wrong CA, an expired certificate and a plain-HTTP client are each refused
// cleanly, a reload keeps open connections, and client certificates act as service:NAME.
#include "support/raw_http.hpp"
#include "support/secured_hub.hpp"
#include "support/sigpipe.hpp"
#include "support/test_ca.hpp"
#include "support/tls_client.hpp"

#include <gtest/gtest.h>

#include <fstream>

namespace hub {
namespace {

using testing::kAdminToken;
using testing::SecuredHub;
using testing::TestCa;

HubOptions tls_options(const testing::IssuedCertificate& issued, const std::string& more = "") {
  return testing::secured_options("{backend: memory}",
                                  "tls: {certificate: " + issued.certificate.string() + ", key: " + issued.key.string() + more + "}\n");
}

HttpCallOptions trusting(const std::filesystem::path& ca) {
  HttpCallOptions options;
  options.ca_file = ca.string();
  options.timeout = std::chrono::seconds(5);
  return options;
}

class Tls : public ::testing::Test {
 protected:
  TestCa ca_{"hub"};
  testing::IssuedCertificate issued_ = ca_.issue("hub", "hub-one");
};

TEST_F(Tls, ServesHttpsToAClientThatTrustsItsCa) {
  SecuredHub hub(tls_options(issued_));
  EXPECT_TRUE(hub.url().starts_with("https://")) << hub.url();
  EXPECT_EQ(hub.call("GET", "/health", "", "", trusting(ca_.ca())).status, 200);
  EXPECT_EQ(hub.call("GET", "/services", kAdminToken, "", trusting(ca_.ca())).status, 200);
  EXPECT_EQ(hub.call("GET", "/services", "", "", trusting(ca_.ca())).status, 401);
}

TEST_F(Tls, AClientTrustingAnotherCaRefusesTheHubAndTheHubServesOn) {
  SecuredHub hub(tls_options(issued_));
  TestCa stranger("stranger");
  try {
    hub.call("GET", "/health", "", "", trusting(stranger.ca()));
    FAIL() << "a client that trusts another CA accepted the hub";
  } catch (const std::runtime_error& refused) {
    EXPECT_NE(std::string(refused.what()).find("certificate"), std::string::npos) << refused.what();
  }
  EXPECT_EQ(hub.call("GET", "/health", "", "", trusting(ca_.ca())).status, 200);
}

TEST_F(Tls, AnExpiredCertificateIsRefusedByClients) {
  SecuredHub hub(tls_options(ca_.issue("old", "hub-old", -1)));
  try {
    hub.call("GET", "/health", "", "", trusting(ca_.ca()));
    FAIL() << "a client accepted an expired certificate";
  } catch (const std::runtime_error& refused) {
    EXPECT_NE(std::string(refused.what()).find("expired"), std::string::npos) << refused.what();
  }
}

TEST_F(Tls, APlainHttpClientIsToldToUseHttps) {
  SecuredHub hub(tls_options(issued_));
  testing::RawConnection plain(hub->port());
  plain.send("GET /health HTTP/1.1\r\nHost: hub\r\n\r\n");
  const testing::RawAnswer answer = plain.answer();
  EXPECT_EQ(answer.status, 400);
  EXPECT_NE(answer.body.find("tls_required"), std::string::npos) << answer.body;
  EXPECT_TRUE(plain.closed_by_peer());
  EXPECT_EQ(hub.call("GET", "/health", "", "", trusting(ca_.ca())).status, 200);
}

TEST_F(Tls, AFileThatDoesNotLoadStopsTheStartSayingWhich) {
  std::ofstream(issued_.key) << "not a key";
  Hub broken(tls_options(issued_));
  try {
    broken.start();
    FAIL() << "started with a broken key";
  } catch (const std::runtime_error& refused) {
    EXPECT_NE(std::string(refused.what()).find(issued_.key.string()), std::string::npos) << refused.what();
  }
}

TEST_F(Tls, AReloadServesTheNewCertificateToNewConnectionsAndKeepsOpenOnes) {
  SecuredHub hub(tls_options(issued_));
  testing::TlsClient before(hub->port(), ca_.ca().string());
  ASSERT_TRUE(before.handshake());
  EXPECT_EQ(before.server_name(), "hub-one");
  EXPECT_EQ(before.get("/health").status, 200);

  const testing::IssuedCertificate next = ca_.issue("next", "hub-two");
  std::filesystem::copy_file(next.certificate, issued_.certificate, std::filesystem::copy_options::overwrite_existing);
  std::filesystem::copy_file(next.key, issued_.key, std::filesystem::copy_options::overwrite_existing);
  hub->reload_certificates();

  EXPECT_EQ(before.get("/health").status, 200);  // the connection made before is still served
  testing::TlsClient after(hub->port(), ca_.ca().string());
  ASSERT_TRUE(after.handshake());
  EXPECT_EQ(after.server_name(), "hub-two");

  std::ofstream(issued_.certificate) << "garbage";
  EXPECT_THROW(hub->reload_certificates(), std::runtime_error);
  testing::TlsClient still(hub->port(), ca_.ca().string());
  ASSERT_TRUE(still.handshake());
  EXPECT_EQ(still.server_name(), "hub-two");  // the failed reload kept what served
}

TEST_F(Tls, ClientsThatLeaveMidAnswerDoNotBringTheHubDown) {
  // As in a process nobody blocked SIGPIPE in (a shell may hand its children a mask that hides it).
  ASSERT_TRUE(hub::testing::let_sigpipe_kill());
  SecuredHub hub(tls_options(issued_));
  hub.trust(ca_.ca().string());
  for (int i = 0; i < 400; ++i)
    ASSERT_EQ(hub.call("POST", "/register", kAdminToken, R"({"service_name":"s)" + std::to_string(i) + R"(","host":"10.0.0.1","port":80})")
                  .status,
              201);
  // Each asks for a long answer and closes at once: the hub's writes then meet a closed socket
  // (EPIPE), which must not raise SIGPIPE in the hub's process.
  for (int i = 0; i < 30; ++i) {
    testing::TlsClient leaving(hub->port(), ca_.ca().string());
    ASSERT_TRUE(leaving.handshake());
    leaving.send_raw("GET /services HTTP/1.1\r\nHost: hub\r\nAuthorization: Bearer " + std::string(kAdminToken) + "\r\n\r\n");
    leaving.drop();
  }
  // A write answered after the group commit, to a client that reset the connection meanwhile: the
  // hub's read has taken the reset, so its write meets EPIPE.
  for (int i = 0; i < 30; ++i) {
    testing::TlsClient leaving(hub->port(), ca_.ca().string());
    ASSERT_TRUE(leaving.handshake());
    const std::string body = R"({"service_name":"gone)" + std::to_string(i) + R"(","host":"10.0.0.2","port":80})";
    leaving.send_raw("POST /register HTTP/1.1\r\nHost: hub\r\nAuthorization: Bearer " + std::string(kAdminToken) +
                     "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body);
    leaving.drop(true);
  }
  EXPECT_EQ(hub.call("GET", "/health").status, 200);
}

TEST_F(Tls, StreamsConfigOverWss) {
  SecuredHub hub(tls_options(issued_));
  ASSERT_EQ(hub.call("PUT", "/config/a", kAdminToken, R"({"config_data":{"x":1}})", trusting(ca_.ca())).status, 201);
  testing::TlsClient client(hub->port(), ca_.ca().string());
  ASSERT_TRUE(client.handshake());
  client.send_raw(
      "GET /config/a/stream HTTP/1.1\r\nHost: hub\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nAuthorization: Bearer " +
      std::string(kAdminToken) + "\r\n\r\n");
  const std::string pushed = client.read_until("\"changed\":true");
  EXPECT_TRUE(pushed.starts_with("HTTP/1.1 101")) << pushed;
  EXPECT_NE(pushed.find("\"x\":1"), std::string::npos) << pushed;
}

class MutualTls : public Tls {
 protected:
  testing::IssuedCertificate client_a_ = ca_.issue("client-a", "a");
  HttpCallOptions as(const testing::IssuedCertificate& client) const {
    HttpCallOptions options = trusting(ca_.ca());
    options.client_certificate = client.certificate.string();
    options.client_key = client.key.string();
    return options;
  }
};

TEST_F(MutualTls, AClientCertificateActsAsItsServiceAndNoOther) {
  SecuredHub hub(tls_options(issued_, ", client_ca: " + ca_.ca().string()));
  EXPECT_EQ(hub.call("POST", "/register", "", R"({"service_name":"a","host":"10.0.0.1","port":80})", as(client_a_)).status, 201);
  const HttpReply other = hub.call("POST", "/register", "", R"({"service_name":"b","host":"10.0.0.1","port":80})", as(client_a_));
  EXPECT_EQ(other.status, 403);
  EXPECT_NE(other.body.find("cert:a"), std::string::npos) << other.body;
  EXPECT_EQ(hub.call("GET", "/tokens", "", "", as(client_a_)).status, 403);
  EXPECT_EQ(hub.call("GET", "/tokens", kAdminToken, "", as(client_a_)).status, 200);  // a token, when sent, is who speaks
  EXPECT_EQ(hub.call("GET", "/services", "", "", trusting(ca_.ca())).status, 401);    // no certificate, no token
}

TEST_F(MutualTls, ACertificateFromAnotherCaIsRefusedAtTheHandshake) {
  SecuredHub hub(tls_options(issued_, ", client_ca: " + ca_.ca().string()));
  TestCa stranger("stranger");
  EXPECT_THROW(hub.call("GET", "/services", "", "", as(stranger.issue("forged", "a"))), std::runtime_error);
  EXPECT_EQ(hub.call("GET", "/services", "", "", as(client_a_)).status, 200);
}

TEST_F(MutualTls, ARequiredCertificateRefusesAClientWithout) {
  SecuredHub hub(tls_options(issued_, ", client_ca: " + ca_.ca().string() + ", client_certificate_required: true"));
  EXPECT_THROW(hub.call("GET", "/health", "", "", trusting(ca_.ca())), std::runtime_error);
  EXPECT_EQ(hub.call("GET", "/health", "", "", as(client_a_)).status, 200);
}

}  // namespace
}  // namespace hub
