// Tokens and the audit trail on each storage backend alike, and the audit trail end to end: every
// write with who, from where, what and the answer; refusals too; retention.
#include "support/scratch_storage.hpp"
#include "support/secured_hub.hpp"

#include "storage/storage.hpp"

#include <hub/errors.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace hub {
namespace {

using testing::Backend;
using testing::kAdminToken;

class SecurityStore : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    HUB_NEED_BACKEND(GetParam());
    scratch_ = std::make_unique<testing::ScratchStore>(GetParam());
    storage_ = testing::open_scratch(*scratch_);
  }
  std::unique_ptr<testing::ScratchStore> scratch_;
  std::unique_ptr<Storage> storage_;
};

constexpr int64_t kStart = 1'800'000'000'000'000;

TEST_P(SecurityStore, KeepsTokensAndRefusesADuplicateWithoutChangingTheFirst) {
  storage_->save_token({"id1", std::string(64, 'a'), "admin", "first", kStart, 0, 0});
  storage_->save_token({"id2", std::string(64, 'b'), "service:a", "pods", kStart + 1000, kStart + 60'000'000, 0});
  EXPECT_THROW(storage_->save_token({"id1", std::string(64, 'c'), "reader", "again", kStart, 0, 0}), StorageError);
  EXPECT_THROW(storage_->save_token({"id3", std::string(64, 'a'), "reader", "same hash", kStart, 0, 0}), StorageError);
  const auto tokens = storage_->load_tokens();
  ASSERT_EQ(tokens.size(), 2u);
  EXPECT_EQ(tokens[0].id, "id1");
  EXPECT_EQ(tokens[0].role, "admin");
  EXPECT_EQ(tokens[0].expires_at_unix_us, 0);
  EXPECT_EQ(tokens[1].description, "pods");
  EXPECT_NEAR(static_cast<double>(tokens[1].expires_at_unix_us), static_cast<double>(kStart + 60'000'000), 1000.0);

  EXPECT_TRUE(storage_->revoke_token("id2", kStart + 5'000'000));
  EXPECT_TRUE(storage_->revoke_token("id2", kStart + 9'000'000));  // again: the first time stands
  EXPECT_FALSE(storage_->revoke_token("nope", kStart));
  const auto after = storage_->load_tokens();
  EXPECT_EQ(after[0].revoked_at_unix_us, 0);
  EXPECT_NEAR(static_cast<double>(after[1].revoked_at_unix_us), static_cast<double>(kStart + 5'000'000), 1000.0);
}

TEST_P(SecurityStore, KeepsTheAuditTrailInOrderFromSinceAndPrunesByAge) {
  std::vector<AuditEntry> entries;
  for (int i = 0; i < 5; ++i)
    entries.push_back({0, kStart + i * 1'000'000, "id" + std::to_string(i), "desc", "admin", "127.0.0.1", "POST /register",
                       "a/" + std::to_string(i), i % 2 ? 403 : 201, i % 2 ? "refused" : ""});
  storage_->save_audit(entries);
  const auto all = storage_->load_audit(0, 100);
  ASSERT_EQ(all.size(), 5u);
  EXPECT_EQ(all[1].status, 403);
  EXPECT_EQ(all[1].message, "refused");
  EXPECT_EQ(all[4].target, "a/4");
  EXPECT_LT(all[0].id, all[1].id);
  EXPECT_EQ(storage_->load_audit(kStart + 3'000'000, 100).size(), 2u);
  EXPECT_EQ(storage_->load_audit(0, 2).size(), 2u);
  storage_->prune_audit(kStart + 2'000'000);
  const auto kept = storage_->load_audit(0, 100);
  ASSERT_EQ(kept.size(), 3u);
  EXPECT_EQ(kept[0].token_id, "id2");
}

INSTANTIATE_TEST_SUITE_P(Backends, SecurityStore, testing::kAllBackends, testing::backend_label);

class AuditTrail : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override { HUB_NEED_BACKEND(GetParam()); }
};

TEST_P(AuditTrail, RecordsEveryWriteWithWhoFromWhereWhatAndTheAnswer) {
  testing::ScratchStore store(GetParam());
  auto clock = std::make_shared<ManualClock>(1'900'000'000'000'000);
  auto log = std::make_shared<testing::LogCapture>();
  HubOptions options = testing::secured_options(store.yaml(), "audit: {retention_days: 30}\n", clock);
  options.manifest.logging.level = "info";  // audit lines are info
  options.log_lines = log->sink();
  testing::SecuredHub hub(std::move(options));
  std::string id;
  const std::string a = hub.token("service:a", &id);
  ASSERT_EQ(hub.call("POST", "/register", a, R"({"service_name":"a","host":"10.0.0.1","port":80})").status, 201);
  ASSERT_EQ(hub.call("POST", "/heartbeat", a, R"({"service_name":"a","instance_id":"10.0.0.1:80"})").status, 200);
  ASSERT_EQ(hub.call("POST", "/register", a, R"({"service_name":"b","host":"10.0.0.1","port":80})").status, 403);
  ASSERT_EQ(hub.call("POST", "/heartbeat", "", R"({"service_name":"a","instance_id":"10.0.0.1:80"})").status, 401);
  EXPECT_EQ(hub.call("GET", "/audit", a).status, 403);

  const auto trail = nlohmann::json::parse(hub.call("GET", "/audit", kAdminToken).body)["entries"];
  ASSERT_EQ(trail.size(), 4u) << trail.dump(1);  // the token's creation, the registration, two refusals; no successful heartbeat
  EXPECT_EQ(trail[0]["action"], "POST /tokens");
  EXPECT_EQ(trail[0]["token_id"], "environment");
  EXPECT_EQ(trail[1]["action"], "POST /register");
  EXPECT_EQ(trail[1]["token_id"], id);
  EXPECT_EQ(trail[1]["token_description"], "test service:a");
  EXPECT_EQ(trail[1]["address"], "127.0.0.1");
  EXPECT_EQ(trail[1]["target"], "a");
  EXPECT_EQ(trail[1]["status"], 201);
  EXPECT_EQ(trail[2]["target"], "b");
  EXPECT_EQ(trail[2]["status"], 403);
  EXPECT_NE(trail[2]["message"].get<std::string>().find("own service"), std::string::npos);
  EXPECT_EQ(trail[3]["token_id"], "none");
  EXPECT_EQ(trail[3]["status"], 401);
  EXPECT_EQ(log->count("audit {"), 4u);  // each also one structured log line

  EXPECT_TRUE(nlohmann::json::parse(hub.call("GET", "/audit?since=2100-01-01T00:00:00Z", kAdminToken).body)["entries"].empty());
  EXPECT_EQ(hub.call("GET", "/audit?since=yesterday", kAdminToken).status, 400);
  EXPECT_EQ(hub.call("GET", "/audit?limit=0", kAdminToken).status, 400);

  clock->advance(std::chrono::hours(24 * 31));  // past the retention, and past the hourly prune
  const auto pruned = nlohmann::json::parse(hub.call("GET", "/audit", kAdminToken).body)["entries"];
  ASSERT_EQ(pruned.size(), 0u) << pruned.dump(1);

  // Bytes that are not text, from the client, still make an entry every backend stores.
  EXPECT_EQ(hub.call("DELETE", "/tokens/%FF%00%C3%28", kAdminToken).status, 404);
  const auto hostile = nlohmann::json::parse(hub.call("GET", "/audit", kAdminToken).body)["entries"];
  ASSERT_EQ(hostile.size(), 1u) << hostile.dump(1);
  EXPECT_EQ(hostile[0]["status"], 404);
  EXPECT_NE(hostile[0]["target"].get<std::string>().find("\\x00"), std::string::npos) << hostile.dump(1);
}

INSTANTIATE_TEST_SUITE_P(Backends, AuditTrail, testing::kAllBackends, testing::backend_label);

}  // namespace
}  // namespace hub
