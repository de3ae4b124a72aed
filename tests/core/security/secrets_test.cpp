// Secrets never leave the hub: no token (good, forged or revoked), no token hash and no database
// password appears in its log, /health, /plugins, /metrics, /tokens or any error it answers.
#include "support/log_capture.hpp"
#include "support/secured_hub.hpp"

#include "security/token.hpp"

#include <gtest/gtest.h>

namespace hub {
namespace {

using testing::kAdminToken;

TEST(Secrets, NeverAppearInLogsAnswersOrErrors) {
  auto log = std::make_shared<testing::LogCapture>();
  HubOptions options = testing::secured_options(
      "{backend: memory, postgres: {host: db, dbname: hub, user: hub, password: pg-password-never-shown}}", "logging: {level: debug}\n");
  options.manifest.logging.level = "debug";
  options.log_lines = log->sink();
  testing::SecuredHub hub(std::move(options));

  std::string revoked_id;
  const std::string reader = hub.token("reader");
  const std::string revoked = hub.token("service:a", &revoked_id);
  const std::string forged = "hub_forgedforgedforgedforgedforgedforgedforg";
  std::vector<std::string> secrets{kAdminToken, reader, revoked, forged, "pg-password-never-shown"};
  for (const std::string& token : {std::string(kAdminToken), reader, revoked}) secrets.push_back(security::token_sha256(token));

  std::vector<std::string> answers;
  const auto keep = [&](const HttpReply& reply) { answers.push_back(reply.body); };
  keep(hub.call("POST", "/register", revoked, R"({"service_name":"a","host":"10.0.0.1","port":80})"));
  keep(hub.call("DELETE", "/tokens/" + revoked_id, kAdminToken));
  keep(hub.call("POST", "/register", revoked, R"({"service_name":"a","host":"10.0.0.1","port":80})"));  // 401 revoked
  keep(hub.call("GET", "/services", forged));                                                           // 401 unknown
  keep(hub.call("GET", "/services", reader + "x"));                                                     // 401 unknown
  keep(hub.call("PUT", "/config/a", reader, R"({"config_data":{}})"));                                  // 403
  keep(hub.call("POST", "/tokens", kAdminToken, R"({"role":"nobody"})"));                               // 400
  keep(hub.call("GET", "/health", ""));
  keep(hub.call("GET", "/plugins", reader));
  keep(hub.call("GET", "/metrics", reader));
  keep(hub.call("GET", "/tokens", kAdminToken));
  keep(hub.call("GET", "/audit", kAdminToken));
  ASSERT_EQ(answers.size(), 12u);
  EXPECT_NE(answers[2].find("revoked"), std::string::npos) << answers[2];

  for (const std::string& secret : secrets) {
    EXPECT_EQ(log->count(secret), 0u) << "the log shows a secret";
    for (const std::string& answer : answers) EXPECT_EQ(answer.find(secret), std::string::npos) << "an answer shows a secret: " << answer;
  }
  EXPECT_GT(log->count("audit {"), 0u);  // the log was taken: the test could have seen a leak
}

}  // namespace
}  // namespace hub
