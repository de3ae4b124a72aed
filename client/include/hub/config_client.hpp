// The C++ ConfigClient: the seed's three layers of configuration for a service.
//
//   Layer 1, secrets:       hub::ConfigClient::secret("POLYGON_API_KEY") reads the environment, never the hub.
//   Layer 2, operational:   the hub's effective config for the service (global merged under the service's).
//   Layer 3, safe defaults: given to the constructor; used where layer 2 says nothing, or is out of reach.
//
//   hub::ConfigClient client("tick-aggregator", {{"operational", {{"timeframes", {"5m", "15m", "1h"}}}}},
//                            {.hub_url = "http://central-hub:8001"});
//   client.init();                                  // the hub, else the cached last good config, else the defaults
//   auto timeframes = client.get_config()["operational"]["timeframes"];
//   client.watch_config([](const nlohmann::json& config) { /* hot reload */ });
//
// The last good config is cached in a local file, so a service restarted
// while the hub is down starts from what it last ran with. A new config is
// checked by `validate` before it is applied; a refused one leaves the old one
// in force and is logged.
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace hub {

struct ConfigClientOptions {
  // https://… for a hub with TLS. Several hubs on one database: their URLs separated by commas; a
  // request a hub cannot take (no answer, a 5xx) goes on to the next, with a backoff per hub.
  std::string hub_url = "http://127.0.0.1:8001";
  std::string token;    // empty: the environment's HUB_TOKEN
  std::string ca_file;  // HTTPS: empty: HUB_CA_FILE, else the system's CAs
  // Where the last good config is kept; empty: <temp dir>/central-hub-config/<service>.json.
  std::filesystem::path cache_file;
  std::chrono::milliseconds request_timeout{2000};
  std::chrono::seconds watch_wait{60};  // how long each blocking query may wait at the hub
  std::chrono::milliseconds initial_backoff{250};
  std::chrono::milliseconds max_backoff{30000};
  // Decides whether a config from the hub may be applied; on refusal, `why` says what is wrong.
  std::function<bool(const nlohmann::json& config, std::string& why)> validate;
  // Where the client's messages go; empty: standard error. level is "info", "warn" or "error".
  std::function<void(const std::string& level, const std::string& message)> log;
};

enum class ConfigSource { safe_defaults, cache, hub };
const char* to_string(ConfigSource source);

class ConfigClient {
 public:
  ConfigClient(std::string service_name, nlohmann::json safe_defaults, ConfigClientOptions options = {});
  ~ConfigClient();  // stops watching
  ConfigClient(const ConfigClient&) = delete;
  ConfigClient& operator=(const ConfigClient&) = delete;

  // Asks the hub once; if it cannot be reached or its config is refused, starts
  // from the cache, else from the safe defaults. Never throws for the hub's absence.
  ConfigSource init();

  // The safe defaults with the current layer-2 config laid over them.
  nlohmann::json get_config() const;
  ConfigSource source() const;
  int64_t version() const;   // the service's config version in force; 0 with none
  int64_t revision() const;  // the hub's revision of it; 0 with none

  // Follows the hub in the background with blocking queries, retrying with
  // exponential backoff and jitter while it is unreachable. Each new config
  // that passes `validate` is applied, cached, then given to `on_change` (on
  // the client's thread). Calling it again replaces the callback.
  void watch_config(std::function<void(const nlohmann::json& config)> on_change);
  void stop();

  // Layer 1: a secret from the environment; nullopt when unset.
  static std::optional<std::string> secret(const std::string& name);
  // The same, throwing std::runtime_error naming the variable when it is unset.
  static std::string require_secret(const std::string& name);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace hub
