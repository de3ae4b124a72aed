// The hub as a library: an embedder or a test starts one in a few lines.
//
//   hub::HubOptions options;                       // memory storage, 127.0.0.1:0
//   options.static_plugins.push_back({"disk-space-probe", &disk_space_plugin});
//   hub::Hub hub(std::move(options));
//   hub.start();                                   // throws with a clear message
//   ... http://127.0.0.1:<hub.port()>/health ...
//   hub.stop();                                    // also done by ~Hub
#pragma once

#include <hub/plugin_api.h>
#include <hub/clock.hpp>
#include <hub/event_bus.hpp>
#include <hub/manifest.hpp>
#include <hub/metrics.hpp>

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace hub {

class PluginInstance;  // one enabled implementation; the core's own (plugin_host/plugin_instance.hpp)

struct StaticPlugin {
  std::string name;
  hub_plugin_entry_fn entry;
};

struct HubOptions {
  Manifest manifest;
  std::vector<StaticPlugin> static_plugins;
  std::shared_ptr<Clock> clock;  // default: SystemClock
  // How often, in real time, the hub runs the liveness policy, writes coalesced
  // heartbeats to storage and retries a lost storage connection.
  std::chrono::milliseconds housekeeping_interval{1000};
  // The health checks' scheduler. Tests that drive a ManualClock turn it off
  // and call Hub::run_health_checks() after moving the clock.
  bool health_scheduler_thread = true;
  // Where the hub's log lines go, each formatted as logging.format says and without its newline.
  // Empty: stderr. An embedder or a test may take them; called from any of the hub's threads.
  std::function<void(std::string_view line)> log_lines;

  static HubOptions from_file(const std::filesystem::path& manifest_file);
};

class Hub {
 public:
  explicit Hub(HubOptions options);
  ~Hub();
  Hub(const Hub&) = delete;
  Hub& operator=(const Hub&) = delete;

  // Opens storage, loads every plugin, creates every instance, then listens.
  // On failure nothing stays open and the exception says what failed.
  void start();
  void stop();
  bool running() const;

  uint16_t port() const;    // the bound port (the ephemeral one if 0 was asked)
  std::string url() const;  // "http://HOST:PORT", or https:// with tls
  // Loads the TLS certificate and key again (what SIGHUP does to hubd). Connections already open
  // keep theirs. Throws, keeping the old ones, when the files do not load.
  void reload_certificates();
  const Manifest& manifest() const;
  Metrics& metrics();
  // hub.started and hub.stopping now; registry and config changes as they come.
  EventBus& events();
  // What the housekeeping thread does on its own, now: tests drive it after
  // moving a ManualClock. run_liveness_pass returns how many instances changed;
  // flush_heartbeats throws StorageError when storage refuses them.
  int run_liveness_pass();
  void flush_heartbeats();
  // Runs every health check that is due on the hub's clock and waits for their
  // results; returns how many ran. Throws std::logic_error without health_monitoring.
  int run_health_checks();
  // The instance with that id, or nullptr. Valid until stop().
  const PluginInstance* instance(const std::string& id) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// What `hubd --check-config` does: loads each plugin and creates each instance
// with its config, then releases them, without opening storage or listening.
void check_manifest(const Manifest& manifest, const std::vector<StaticPlugin>& static_plugins = {});

}  // namespace hub
