// The C++ clients given several hubs: a hub that cannot be reached or answers 5xx is passed over
// for the next, and with hubs on one PostgreSQL a registration, its heartbeats and a config watch
// carry on through another hub when theirs stops; the watch resumes from the revision it had.
#include "support/config_hub.hpp"
#include "support/eventually.hpp"
#include "support/free_port.hpp"
#include "support/registry_hub.hpp"
#include "support/scripted_server.hpp"
#include "support/storage_backend.hpp"

#include <hub/client.hpp>
#include <hub/config_client.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>

namespace {

using hub::testing::Backend;
using hub::testing::eventually;
using hub::testing::Json;
using hub::testing::ScriptedServer;
using hub::testing::TestHub;
using namespace std::chrono_literals;

// A hub in trouble: every request gets a 503.
void unavailable(int fd) {
  while (!ScriptedServer::read_until(fd, "\r\n\r\n").empty()) {
    const std::string body = R"({"error":"unavailable","message":"storage is away"})";
    ScriptedServer::send_all(fd, "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nContent-Length: " +
                                     std::to_string(body.size()) + "\r\n\r\n" + body);
  }
}

std::string dead_url() {
  return "http://127.0.0.1:" + std::to_string(hub::testing::free_port());
}

TEST(ClientFailover, AHubThatCannotBeReachedOrAnswers503IsPassedOver) {
  ScriptedServer failing(&unavailable);
  TestHub live(hub::testing::registry_options());
  hub::ClientOptions options;
  options.hub_url = dead_url() + ", http://127.0.0.1:" + std::to_string(failing.port()) + "," + live.url();
  hub::Client client(options);
  client.register_service({.name = "quotes", .host = "10.0.0.5", .port = 8002});
  EXPECT_EQ(client.discover("quotes"), "http://10.0.0.5:8002");
  const int asked = failing.accepted();
  EXPECT_GE(asked, 1) << "the 503 hub was never tried";
  // The live hub answered last: the next requests go straight to it.
  for (int i = 0; i < 5; ++i) client.heartbeat();
  EXPECT_EQ(failing.accepted(), asked);
}

TEST(ClientFailover, WhenEveryHubFailsTheErrorNamesEachAndA503IsReturnedAsSuch) {
  hub::ClientOptions options;
  options.hub_url = dead_url() + "," + dead_url();
  options.max_register_attempts = 1;
  hub::Client client(options);
  try {
    client.discover("quotes");
    FAIL() << "no hub answered, yet discover returned";
  } catch (const hub::ClientError& error) {
    EXPECT_EQ(error.status(), 0);
    EXPECT_NE(std::string(error.what()).find(options.hub_url.substr(0, options.hub_url.find(','))), std::string::npos) << error.what();
  }
  ScriptedServer failing(&unavailable);
  options.hub_url = dead_url() + ",http://127.0.0.1:" + std::to_string(failing.port());
  hub::Client refused(options);
  try {
    refused.discover("quotes");
    FAIL() << "every hub failed, yet discover returned";
  } catch (const hub::ClientError& error) {
    EXPECT_EQ(error.status(), 503) << error.what();
  }
}

TEST(ClientFailover, ABadAddressInTheListIsRefusedWithItsName) {
  hub::ClientOptions options;
  options.hub_url = "http://127.0.0.1:8001,ftp://hub-2";
  try {
    hub::Client client(options);
    FAIL() << "a list with an ftp:// URL was taken";
  } catch (const std::invalid_argument& error) {
    EXPECT_NE(std::string(error.what()).find("ftp://hub-2"), std::string::npos) << error.what();
  }
}

// Two hubs on one PostgreSQL.
class SharedFailover : public ::testing::Test {
 protected:
  void SetUp() override {
    HUB_NEED_BACKEND(Backend::postgres);
    scratch_ = std::make_unique<hub::testing::ScratchStore>(Backend::postgres);
    for (int i = 0; i < 2; ++i)
      hubs_.push_back(std::make_unique<TestHub>(hub::testing::registry_options(hub::testing::kLiveness, nullptr, scratch_->yaml())));
  }
  std::string both() const { return hubs_[0]->url() + "," + hubs_[1]->url(); }

  std::unique_ptr<hub::testing::ScratchStore> scratch_;
  std::vector<std::unique_ptr<TestHub>> hubs_;
};

TEST_F(SharedFailover, ARegistrationAndItsHeartbeatsCarryOnThroughTheOtherHub) {
  hub::ClientOptions options;
  options.hub_url = both();
  hub::Client client(options);
  client.register_service({.name = "ledger", .host = "10.0.0.7", .port = 9000});
  client.heartbeat();
  hubs_[0].reset();  // the hub it spoke to
  client.heartbeat();
  EXPECT_EQ(client.discover("ledger"), "http://10.0.0.7:9000");
  const Json served = Json::parse(hubs_[1]->get("/services/ledger").body);
  EXPECT_EQ(served["instances"][0]["status"], "healthy");
}

TEST_F(SharedFailover, AConfigWatchResumesOnTheOtherHubFromItsRevision) {
  const auto put = [&](TestHub& hub, int interval) {
    return hub::testing::put_config(hub.url() + "/config/pricer", Json{{"config_data", {{"interval", interval}}}}.dump()).status;
  };
  ASSERT_EQ(put(*hubs_[0], 1), 201);
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<int> seen;
  hub::ConfigClientOptions options;
  options.hub_url = both();
  options.cache_file = std::filesystem::temp_directory_path() / ("hub-failover-" + std::to_string(getpid()) + ".json");
  options.initial_backoff = 20ms;
  options.max_backoff = 200ms;
  options.watch_wait = 2s;
  options.log = [](const std::string&, const std::string&) {};
  hub::ConfigClient client("pricer", Json::object(), options);
  ASSERT_EQ(client.init(), hub::ConfigSource::hub);
  client.watch_config([&](const Json& config) {
    std::lock_guard lock(mutex);
    seen.push_back(config.value("interval", 0));
    changed.notify_all();
  });
  ASSERT_EQ(put(*hubs_[0], 2), 201);
  const auto saw = [&](int interval) {
    std::unique_lock lock(mutex);
    return changed.wait_for(lock, 10s, [&] { return !seen.empty() && seen.back() == interval; });
  };
  ASSERT_TRUE(saw(2));
  hubs_[0].reset();  // the watch was parked there
  ASSERT_EQ(put(*hubs_[1], 3), 201);
  ASSERT_TRUE(saw(3)) << "the watch did not resume on the other hub";
  ASSERT_EQ(put(*hubs_[1], 4), 201);
  ASSERT_TRUE(saw(4));
  std::lock_guard lock(mutex);
  EXPECT_EQ(seen, (std::vector<int>{2, 3, 4})) << "a change was missed or seen twice";
  std::filesystem::remove(options.cache_file);
}

}  // namespace
