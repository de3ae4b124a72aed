// Who may call what, over HTTP on a live hub with auth: required: every route against every role,
// 401 without a credential, 403 with the wrong role, and nothing changed by a refusal.
#include "support/raw_http.hpp"
#include "support/secured_hub.hpp"

#include "security/access.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <map>
#include <set>

namespace hub {
namespace {

using testing::kAdminToken;
using testing::SecuredHub;
using Json = nlohmann::json;

struct Case {
  std::string method, pattern, path, body;
  std::string allowed;  // N no token, R reader, A service:a, B service:b, O operator, D admin
};

const std::vector<Case>& cases() {
  static const std::string reg = R"({"service_name":"a","host":"10.0.0.1","port":80})";
  static const std::vector<Case> all{
      {"GET", "/health", "/health", "", "NRABOD"},
      {"GET", "/plugins", "/plugins", "", "RABOD"},
      {"GET", "/metrics", "/metrics", "", "RABOD"},
      {"GET", "/services", "/services", "", "RABOD"},
      {"GET", "/services/{name}", "/services/a", "", "RABOD"},
      {"GET", "/services/{name}/dependencies", "/services/a/dependencies", "", "RABOD"},
      {"GET", "/discover/{name}", "/discover/a", "", "RABOD"},
      {"GET", "/lb/{name}", "/lb/a", "", "RABOD"},
      {"GET", "/lb/{name}/load", "/lb/a/load", "", "RABOD"},
      {"GET", "/circuits", "/circuits", "", "RABOD"},
      {"GET", "/circuits/{service}", "/circuits/a", "", "RABOD"},
      {"GET", "/liveness", "/liveness", "", "RABOD"},
      {"GET", "/health/services", "/health/services", "", "RABOD"},
      {"GET", "/health/services/{service}", "/health/services/a", "", "RABOD"},
      {"GET", "/health/infrastructure", "/health/infrastructure", "", "RABOD"},
      {"GET", "/health/uptime", "/health/uptime", "", "RABOD"},
      {"GET", "/health/alerts", "/health/alerts", "", "RABOD"},
      {"GET", "/health/scheduler", "/health/scheduler", "", "RABOD"},
      {"GET", "/global-config", "/global-config", "", "RABOD"},
      {"GET", "/global-config/history", "/global-config/history", "", "RABOD"},
      {"GET", "/global-config/versions/{version}", "/global-config/versions/1", "", "RABOD"},
      {"GET", "/global-config/diff", "/global-config/diff?from=1", "", "RABOD"},
      {"GET", "/config/{service}", "/config/a", "", "RAOD"},
      {"GET", "/config/{service}/history", "/config/a/history", "", "RAOD"},
      {"GET", "/config/{service}/versions/{version}", "/config/a/versions/1", "", "RAOD"},
      {"GET", "/config/{service}/diff", "/config/a/diff?from=1", "", "RAOD"},
      {"GET", "/config/{service}/watch", "/config/a/watch?index=0&wait=0.1", "", "RAOD"},
      {"GET", "/config/{service}/stream", "/config/a/stream", "", "RAOD"},
      {"POST", "/register", "/register", reg, "AD"},
      {"POST", "/heartbeat", "/heartbeat", R"({"service_name":"a","instance_id":"10.0.0.1:80"})", "AD"},
      {"POST", "/deregister", "/deregister", R"({"service_name":"a","instance_id":"10.0.0.1:80"})", "AD"},
      {"POST", "/drain", "/drain", R"({"service_name":"a","instance_id":"10.0.0.1:80","draining":false})", "AD"},
      {"POST", "/outcomes", "/outcomes", R"({"outcomes":[{"service_name":"a","instance_id":"10.0.0.1:80","result":"success"}]})", "ABOD"},
      {"PUT", "/config/{service}", "/config/a", R"({"config_data":{"x":1}})", "OD"},
      {"POST", "/config/{service}", "/config/a", R"({"config_data":{"x":2}})", "OD"},
      {"POST", "/config/{service}/rollback", "/config/a/rollback", R"({"version":1})", "OD"},
      {"PUT", "/global-config", "/global-config", R"({"config_data":{"g":1}})", "OD"},
      {"POST", "/global-config", "/global-config", R"({"config_data":{"g":2}})", "OD"},
      {"POST", "/global-config/rollback", "/global-config/rollback", R"({"version":1})", "OD"},
      {"POST", "/liveness/confirm", "/liveness/confirm", "{}", "OD"},
      {"PUT", "/circuits/{service}/state", "/circuits/a/state", R"({"state":"DISABLED"})", "OD"},
      {"GET", "/deployments", "/deployments", "", "RABOD"},
      {"GET", "/deployments/{id}", "/deployments/dep-none", "", "RABOD"},
      {"POST", "/deployments", "/deployments", R"({"service":"a","version":"v9"})", "OD"},
      {"POST", "/deployments/{id}/{command}", "/deployments/dep-none/abort", "{}", "OD"},
      {"GET", "/directives/{service}/{instance}", "/directives/a/10.0.0.1:80?index=0&wait=0", "", "RAOD"},
      {"GET", "/directives/{service}/{instance}/stream", "/directives/a/10.0.0.1:80/stream", "", "RAOD"},
      {"POST", "/directives/{service}/{instance}/ack", "/directives/a/10.0.0.1:80/ack", R"({"index":1,"status":"done"})", "AD"},
      {"GET", "/tokens", "/tokens", "", "D"},
      {"POST", "/tokens", "/tokens", R"({"role":"reader","description":"made in the matrix"})", "D"},
      {"DELETE", "/tokens/{id}", "/tokens/no-such-token", "", "D"},
      {"GET", "/audit", "/audit", "", "D"},
      {"GET", "/snapshot", "/snapshot", "", "D"},
      {"POST", "/snapshot/restore", "/snapshot/restore", "not a snapshot", "D"},
      {"GET", "/backups", "/backups", "", "RABOD"},
      {"POST", "/backups/{job}/run", "/backups/none/run", "{}", "OD"},
      {"POST", "/errors", "/errors", R"({"events":[{"service":"a","type":"KeyError","message":"'x'"}]})", "AOD"},
      {"GET", "/errors", "/errors", "", "RABOD"},
      {"GET", "/errors/services", "/errors/services", "", "RABOD"},
      {"GET", "/errors/{fingerprint}", "/errors/0000", "", "RABOD"},
      {"POST", "/performance", "/performance", R"({"service":"a","operations":[]})", "AOD"},
      {"GET", "/performance", "/performance", "", "RABOD"},
      {"GET", "/cluster", "/cluster", "", "RABOD"},
      {"GET", "/health/infrastructure/trend", "/health/infrastructure/trend", "", "RABOD"},
      {"GET", "/health/services/{service}/trend", "/health/services/a/trend", "", "RABOD"},
      {"GET", "/whoami", "/whoami", "", "RABOD"},
      {"GET", "/events/stream", "/events/stream", "", "RABOD"},  // a plain GET: 426 once admitted
      {"GET", "/ui", "/ui", "", "NRABOD"},                       // the page asks for a token itself
      {"GET", "/ui/{file}", "/ui/app.js", "", "NRABOD"},
      {"GET", "/ui/vendor/{file}", "/ui/vendor/uPlot.min.css", "", "NRABOD"},
  };
  return all;
}

class AccessMatrix : public ::testing::Test {
 protected:
  SecuredHub hub_;
  std::map<char, std::string> tokens_{{'N', ""},
                                      {'R', hub_.token("reader")},
                                      {'A', hub_.token("service:a")},
                                      {'B', hub_.token("service:b")},
                                      {'O', hub_.token("operator")},
                                      {'D', kAdminToken}};
};

TEST_F(AccessMatrix, EveryRouteOfTheTableIsCoveredAndEveryCoveredRouteIsInTheTable) {
  std::set<std::pair<std::string, std::string>> covered, table;
  for (const Case& c : cases()) covered.emplace(c.method, c.pattern);
  for (const security::RouteAccess& route : security::route_access()) table.emplace(route.method, route.pattern);
  EXPECT_EQ(covered, table);
}

TEST_F(AccessMatrix, EachRouteIsAllowedOrRefusedAsDocumentedForEveryRole) {
  for (const char role : std::string("NRABOD")) {
    for (const Case& c : cases()) {
      const HttpReply reply = hub_.call(c.method, c.path, tokens_.at(role), c.body);
      const bool allowed = c.allowed.find(role) != std::string::npos;
      const std::string what =
          std::string("role ") + role + ": " + c.method + " " + c.path + " -> " + std::to_string(reply.status) + " " + reply.body;
      if (allowed) {
        EXPECT_NE(reply.status, 401) << what;
        EXPECT_NE(reply.status, 403) << what;
      } else {
        EXPECT_EQ(reply.status, role == 'N' ? 401 : 403) << what;
        EXPECT_NE(reply.body.find(role == 'N' ? "unauthenticated" : "forbidden"), std::string::npos) << what;
      }
    }
  }
}

TEST_F(AccessMatrix, ARefusedWriteChangesNothing) {
  ASSERT_EQ(hub_.call("POST", "/register", kAdminToken, R"({"service_name":"a","host":"10.0.0.1","port":80})").status, 201);
  ASSERT_EQ(hub_.call("PUT", "/config/a", kAdminToken, R"({"config_data":{"x":1}})").status, 201);
  ASSERT_EQ(hub_.call("PUT", "/global-config", kAdminToken, R"({"config_data":{"g":1}})").status, 201);
  const std::string services = hub_.call("GET", "/services", kAdminToken).body;
  const std::string config = hub_.call("GET", "/config/a/history", kAdminToken).body;
  const std::string global = hub_.call("GET", "/global-config/history", kAdminToken).body;
  const std::string tokens = hub_.call("GET", "/tokens", kAdminToken).body;
  for (const char role : std::string("NRB")) {
    for (const Case& c : cases()) {
      if (c.method == "GET" || c.allowed.find(role) != std::string::npos) continue;
      Case attempt = c;
      if (attempt.path == "/register") attempt.body = R"({"service_name":"a","host":"10.9.9.9","port":80})";  // a hijack
      const HttpReply reply = hub_.call(attempt.method, attempt.path, tokens_.at(role), attempt.body);
      EXPECT_TRUE(reply.status == 401 || reply.status == 403) << role << " " << c.method << " " << c.path << ": " << reply.body;
    }
  }
  EXPECT_EQ(hub_.call("GET", "/services", kAdminToken).body, services);
  EXPECT_EQ(hub_.call("GET", "/config/a/history", kAdminToken).body, config);
  EXPECT_EQ(hub_.call("GET", "/global-config/history", kAdminToken).body, global);
  EXPECT_EQ(hub_.call("GET", "/tokens", kAdminToken).body, tokens);
}

TEST_F(AccessMatrix, AServiceTokenSpeaksOnlyForItsOwnService) {
  const std::string& a = tokens_.at('A');
  ASSERT_EQ(hub_.call("POST", "/register", kAdminToken, R"({"service_name":"b","host":"10.0.0.2","port":80})").status, 201);
  ASSERT_EQ(hub_.call("PUT", "/config/b", kAdminToken, R"({"config_data":{"secretish":1}})").status, 201);

  const HttpReply hijack = hub_.call("POST", "/register", a, R"({"service_name":"b","host":"10.6.6.6","port":80})");
  EXPECT_EQ(hijack.status, 403);
  EXPECT_NE(hijack.body.find("speaks only for its own service"), std::string::npos) << hijack.body;
  EXPECT_EQ(hub_.call("POST", "/heartbeat", a, R"({"service_name":"b","instance_id":"10.0.0.2:80"})").status, 403);
  EXPECT_EQ(hub_.call("POST", "/deregister", a, R"({"service_name":"b","instance_id":"10.0.0.2:80"})").status, 403);
  EXPECT_EQ(hub_.call("POST", "/register", a, R"({"name":"b","host":"10.6.6.6","port":81})").status, 403);  // the seed's other field
  EXPECT_EQ(hub_.call("GET", "/config/b", a).status, 403);
  const Json b = Json::parse(hub_.call("GET", "/discover/b", a).body);  // reads what a caller needs
  EXPECT_EQ(b["instance"]["host"], "10.0.0.2");

  EXPECT_EQ(hub_.call("POST", "/register", a, R"({"service_name":"a","host":"10.0.0.1","port":80})").status, 201);
  EXPECT_EQ(hub_.call("POST", "/heartbeat", a, R"({"service_name":"a","instance_id":"10.0.0.1:80"})").status, 200);
  EXPECT_EQ(hub_.call("GET", "/config/a", a).status, 200);
  EXPECT_EQ(hub_.call("POST", "/deregister", a, R"({"service_name":"a","instance_id":"10.0.0.1:80"})").status, 200);
}

TEST_F(AccessMatrix, HealthWithoutACredentialSaysOnlyWhetherTheHubIsUp) {
  const Json open = Json::parse(hub_.call("GET", "/health").body);
  EXPECT_EQ(open["status"], "healthy");
  EXPECT_EQ(open["storage"]["message"], "");
  EXPECT_TRUE(open["plugins"].empty()) << open.dump();
  const Json full = Json::parse(hub_.call("GET", "/health", tokens_.at('R')).body);
  EXPECT_FALSE(full["plugins"].empty()) << full.dump();
}

TEST_F(AccessMatrix, AConnectionThatChangesItsTokenIsJudgedByTheNewOne) {
  testing::RawConnection kept(hub_->port());
  const auto get = [&](const std::string& token) {
    kept.send("GET /config/b HTTP/1.1\r\nHost: hub\r\n" + (token.empty() ? "" : "Authorization: Bearer " + token + "\r\n") + "\r\n");
    return kept.answer().status;
  };
  EXPECT_EQ(get(tokens_.at('A')), 403);
  EXPECT_EQ(get(tokens_.at('R')), 200);  // allowed: the global config alone, as b has none
  EXPECT_EQ(get(tokens_.at('A')), 403);
  EXPECT_EQ(get(""), 401);
  EXPECT_EQ(get("hub_" + tokens_.at('R').substr(4, 10)), 401);
}

TEST_F(AccessMatrix, ABadCredentialIsRefusedWithoutQuotingIt) {
  const std::string forged = "hub_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
  const HttpReply unknown = hub_.call("GET", "/services", forged);
  EXPECT_EQ(unknown.status, 401);
  EXPECT_EQ(unknown.body.find(forged), std::string::npos) << unknown.body;
  EXPECT_NE(unknown.body.find("not known"), std::string::npos) << unknown.body;

  HttpCallOptions basic;
  testing::RawConnection raw(hub_->port());
  raw.send("GET /services HTTP/1.1\r\nHost: hub\r\nAuthorization: Basic YWRtaW46YWRtaW4=\r\n\r\n");
  const testing::RawAnswer answer = raw.answer();
  EXPECT_EQ(answer.status, 401);
  EXPECT_NE(answer.body.find("only Bearer tokens"), std::string::npos) << answer.body;
  EXPECT_NE(answer.head.find("\r\nWWW-Authenticate: Bearer realm=\"central-hub\"\r\n"), std::string::npos) << answer.head;

  testing::RawConnection twice(hub_->port());
  twice.send("GET /services HTTP/1.1\r\nHost: hub\r\nAuthorization: Bearer " + std::string(kAdminToken) +
             "\r\nAuthorization: Bearer x\r\n\r\n");
  EXPECT_EQ(twice.answer().status, 400);
}

TEST_F(AccessMatrix, ConfigChangesRecordTheTokenNotWhatTheClientClaims) {
  std::string id;
  const std::string ops = hub_.token("operator", &id);
  const HttpReply put = hub_.call("PUT", "/config/a", ops, R"({"config_data":{"x":1},"created_by":"admin"})");
  ASSERT_EQ(put.status, 201) << put.body;
  EXPECT_EQ(Json::parse(put.body)["created_by"], "token:" + id + " note: admin");
  const Json history = Json::parse(hub_.call("GET", "/config/a/history", ops).body);
  EXPECT_EQ(history["changes"][0]["created_by"], "token:" + id + " note: admin");
}

TEST(AccessWithoutAuth, TheHubRefusesToListenBeyondLoopbackUnlessTheYamlSaysSo) {
  HubOptions options = testing::test_options();
  options.manifest.listen = {"0.0.0.0", 0};
  Hub exposed(options);
  try {
    exposed.start();
    FAIL() << "a hub without auth started on 0.0.0.0";
  } catch (const std::exception& refused) {
    EXPECT_NE(std::string(refused.what()).find("auth: required"), std::string::npos) << refused.what();
  }
  EXPECT_FALSE(exposed.running());

  options.manifest.security.allow_remote_without_auth = true;
  auto log = std::make_shared<testing::LogCapture>();
  options.log_lines = log->sink();
  Hub allowed(options);
  allowed.start();
  EXPECT_TRUE(allowed.running());
  EXPECT_EQ(log->count("auth is disabled"), 1u);
}

TEST(AccessWithoutAuth, EveryCallerIsAnonymousAndTheAuditSaysSo) {
  testing::TestHub hub(testing::registry_options());
  EXPECT_EQ(hub.post("/register", R"({"service_name":"a","host":"10.0.0.1","port":80})").status, 201);
  const Json audit = Json::parse(hub.get("/audit").body);
  ASSERT_EQ(audit["entries"].size(), 1u) << audit.dump();
  EXPECT_EQ(audit["entries"][0]["token_id"], "anonymous");
  EXPECT_EQ(audit["entries"][0]["action"], "POST /register");
  EXPECT_EQ(hub.get("/tokens").status, 409);
}

}  // namespace
}  // namespace hub
