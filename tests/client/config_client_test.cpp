// hub::ConfigClient against a real in-process hub: hub up, hub down with and
// without a cache, the hub coming back mid-run, hot reload with validation.
#include "support/config_hub.hpp"
#include "support/free_port.hpp"

#include <hub/config_client.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>

#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>

namespace {

using hub::ConfigClient;
using hub::ConfigSource;
using hub::testing::Json;
using hub::testing::TestHub;
using testing::HasSubstr;
using namespace std::chrono_literals;

const Json kSafeDefaults = Json::parse(R"({"operational": {"timeframes": ["5m", "15m", "1h"], "aggregation_interval_seconds": 60}})");

// What a client reported, waited on with deadlines.
class Observed {
 public:
  void config(const Json& config) {
    std::lock_guard lock(mutex_);
    configs_.push_back(config);
    changed_.notify_all();
  }
  void log(const std::string& level, const std::string& message) {
    std::lock_guard lock(mutex_);
    logs_.push_back(level + ": " + message);
    changed_.notify_all();
  }
  // The count-th config given to the callback (1-based), waiting up to 10 s.
  std::optional<Json> nth_config(size_t count) {
    std::unique_lock lock(mutex_);
    if (!changed_.wait_for(lock, 10s, [&] { return configs_.size() >= count; })) return std::nullopt;
    return configs_[count - 1];
  }
  // The first config given to the callback for which `wanted` holds, waiting up to 10 s.
  std::optional<Json> config_where(const std::function<bool(const Json&)>& wanted) {
    std::unique_lock lock(mutex_);
    std::optional<Json> found;
    changed_.wait_for(lock, 10s, [&] {
      for (const Json& config : configs_)
        if (wanted(config)) return (found = config).has_value();
      return false;
    });
    return found;
  }
  bool logged(const std::string& part) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, 10s, [&] {
      for (const auto& line : logs_)
        if (line.find(part) != std::string::npos) return true;
      return false;
    });
  }
  size_t configs() {
    std::lock_guard lock(mutex_);
    return configs_.size();
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<Json> configs_;
  std::vector<std::string> logs_;
};

class ConfigClientTest : public testing::Test {
 protected:
  void SetUp() override {
    cache_ = std::filesystem::temp_directory_path() / ("hub-config-client-" + std::to_string(::getpid())) / "tick-aggregator.json";
    std::filesystem::remove_all(cache_.parent_path());
  }
  void TearDown() override { std::filesystem::remove_all(cache_.parent_path()); }

  void start_hub(uint16_t port = 0) {
    hub::HubOptions options = hub::testing::config_options();
    options.manifest.listen.port = port;
    hub_ = std::make_unique<TestHub>(std::move(options));
  }
  void put(const std::string& config) {
    ASSERT_EQ(hub::testing::put_config(hub_->url() + "/config/tick-aggregator", R"({"config_data": )" + config + "}").status, 201);
  }
  hub::ConfigClientOptions options(const std::string& url) {
    hub::ConfigClientOptions options;
    options.hub_url = url;
    options.cache_file = cache_;
    options.initial_backoff = 20ms;
    options.max_backoff = 200ms;
    options.request_timeout = 1000ms;
    options.log = [this](const std::string& level, const std::string& message) { observed_.log(level, message); };
    return options;
  }

  std::filesystem::path cache_;
  std::unique_ptr<TestHub> hub_;
  Observed observed_;
};

TEST_F(ConfigClientTest, TheHubsConfigIsLaidOverTheSafeDefaultsAndCached) {
  start_hub();
  put(R"({"operational": {"timeframes": ["1m"]}})");
  ConfigClient client("tick-aggregator", kSafeDefaults, options(hub_->url()));
  EXPECT_EQ(client.init(), ConfigSource::hub);
  const Json config = client.get_config();
  EXPECT_EQ(config["operational"]["timeframes"], Json::parse(R"(["1m"])"));
  EXPECT_EQ(config["operational"]["aggregation_interval_seconds"], 60) << "a default the hub does not set stays";
  EXPECT_EQ(client.version(), 1);
  EXPECT_TRUE(std::filesystem::exists(cache_));
}

TEST_F(ConfigClientTest, WithTheHubDownItStartsFromTheCache) {
  start_hub();
  put(R"({"operational": {"timeframes": ["4h"]}})");
  { ConfigClient("tick-aggregator", kSafeDefaults, options(hub_->url())).init(); }
  const std::string url = hub_->url();
  hub_.reset();
  ConfigClient client("tick-aggregator", kSafeDefaults, options(url));
  EXPECT_EQ(client.init(), ConfigSource::cache);
  EXPECT_EQ(client.get_config()["operational"]["timeframes"], Json::parse(R"(["4h"])"));
  EXPECT_EQ(client.version(), 1);
  EXPECT_TRUE(observed_.logged("cannot reach the hub"));
}

TEST_F(ConfigClientTest, WithNeitherHubNorCacheItRunsOnTheSafeDefaults) {
  ConfigClient client("tick-aggregator", kSafeDefaults, options("http://127.0.0.1:1"));
  EXPECT_EQ(client.init(), ConfigSource::safe_defaults);
  EXPECT_EQ(client.get_config(), kSafeDefaults);
  EXPECT_EQ(client.version(), 0);
}

TEST_F(ConfigClientTest, ACacheOfAnotherServiceIsIgnored) {
  std::filesystem::create_directories(cache_.parent_path());
  std::ofstream(cache_) << R"({"service_name": "someone-else", "version": 3, "revision": 9, "config": {"x": 1}})";
  ConfigClient client("tick-aggregator", kSafeDefaults, options("http://127.0.0.1:1"));
  EXPECT_EQ(client.init(), ConfigSource::safe_defaults);
  EXPECT_TRUE(observed_.logged("not a cache of this service"));
}

TEST_F(ConfigClientTest, AHubThatComesBackMidRunIsFollowed) {
  const uint16_t port = hub::testing::free_port();
  ConfigClient client("tick-aggregator", kSafeDefaults, options("http://127.0.0.1:" + std::to_string(port)));
  ASSERT_EQ(client.init(), ConfigSource::safe_defaults);
  client.watch_config([this](const Json& config) { observed_.config(config); });
  EXPECT_TRUE(observed_.logged("retrying in")) << "the watch retries while the hub is away";
  start_hub(port);
  put(R"({"operational": {"aggregation_interval_seconds": 15}})");
  // The watch may first see the new hub before the update: it waits for the update, not for the first answer.
  const auto config = observed_.config_where([](const Json& c) { return c["operational"]["aggregation_interval_seconds"] == 15; });
  ASSERT_TRUE(config) << "the update never reached the client";
  EXPECT_EQ(client.source(), ConfigSource::hub);
}

TEST_F(ConfigClientTest, HotReloadAppliesValidConfigsAndKeepsTheOldOneOnARefusal) {
  start_hub();
  put(R"({"operational": {"aggregation_interval_seconds": 30}})");
  hub::ConfigClientOptions checked = options(hub_->url());
  checked.validate = [](const Json& config, std::string& why) {
    if (config["operational"]["aggregation_interval_seconds"].get<int>() > 0) return true;
    why = "aggregation_interval_seconds must be positive";
    return false;
  };
  ConfigClient client("tick-aggregator", kSafeDefaults, checked);
  ASSERT_EQ(client.init(), ConfigSource::hub);
  client.watch_config([this](const Json& config) { observed_.config(config); });

  put(R"({"operational": {"aggregation_interval_seconds": 10}})");
  auto first = observed_.nth_config(1);
  ASSERT_TRUE(first);
  EXPECT_EQ((*first)["operational"]["aggregation_interval_seconds"], 10);

  put(R"({"operational": {"aggregation_interval_seconds": -1}})");
  EXPECT_TRUE(observed_.logged("refused config version 3 (revision 3): aggregation_interval_seconds must be positive; version 2 stays"));
  EXPECT_EQ(client.get_config()["operational"]["aggregation_interval_seconds"], 10);
  EXPECT_EQ(client.version(), 2);

  ASSERT_EQ(hub_->post("/config/tick-aggregator/rollback", R"({"version": 1})").status, 200);
  auto rolled = observed_.nth_config(2);
  ASSERT_TRUE(rolled);
  EXPECT_EQ((*rolled)["operational"]["aggregation_interval_seconds"], 30);
  EXPECT_EQ(observed_.configs(), 2u) << "the refused version never reached the callback";
}

TEST_F(ConfigClientTest, StopCutsAWaitingWatchShort) {
  start_hub();
  hub::ConfigClientOptions patient = options(hub_->url());
  patient.watch_wait = 120s;
  auto client = std::make_unique<ConfigClient>("tick-aggregator", kSafeDefaults, patient);
  ASSERT_EQ(client->init(), ConfigSource::hub);
  client->watch_config([](const Json&) {});
  const auto started = std::chrono::steady_clock::now();
  client.reset();
  EXPECT_LT(std::chrono::steady_clock::now() - started, 60s) << "stop waited out the blocking query";
}

TEST_F(ConfigClientTest, SecretsComeFromTheEnvironmentOnly) {
  ::setenv("HUB_TEST_POLYGON_API_KEY", "k-123", 1);
  EXPECT_EQ(ConfigClient::secret("HUB_TEST_POLYGON_API_KEY"), "k-123");
  ::unsetenv("HUB_TEST_POLYGON_API_KEY");
  EXPECT_EQ(ConfigClient::secret("HUB_TEST_POLYGON_API_KEY"), std::nullopt);
  EXPECT_THAT([] { ConfigClient::require_secret("HUB_TEST_POLYGON_API_KEY"); },
              testing::ThrowsMessage<std::runtime_error>(HasSubstr("HUB_TEST_POLYGON_API_KEY is not set in the environment")));
}

}  // namespace
