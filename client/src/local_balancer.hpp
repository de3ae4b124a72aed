// Balancing in the caller's own process (hub::Client::pick with Pick::locally): a service's
// instances from the hub, refreshed every `refresh`, and a handle of one of the load-balancer
// plugin's strategies, the same code the hub runs, fed this caller's own calls in flight and
// latency. No round trip per pick; each caller sees only its own calls (the hub's view sees all).
#pragma once

#include <hub/plugin_api.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace hub::client {

struct LocalInstance {
  std::string instance_id, host, url;
  uint16_t port = 0;
  uint32_t weight = 100;
  bool healthy = true;  // false: degraded (down ones are never candidates)
};

class LocalBalancer {
 public:
  // The service's instances now, from the hub (throws ClientError).
  using Fetch = std::function<std::vector<LocalInstance>(const std::string& service)>;

  // `strategy` names a load-balancer implementation ("least_request"); `config` its keys. Throws
  // std::invalid_argument when the plugin refuses them.
  LocalBalancer(std::string strategy, std::map<std::string, std::string> config, std::chrono::milliseconds refresh, Fetch fetch);
  ~LocalBalancer();

  // A candidate for one call: healthy instances, degraded ones when none is healthy. nullopt: none.
  std::optional<LocalInstance> pick(const std::string& service, const std::string& key);
  // A call picked here ended (its latency feeds peak_ewma; it leaves the calls in flight).
  void finished(const std::string& service, const std::string& instance_id, std::chrono::microseconds duration, bool succeeded);

 private:
  struct Service;
  std::shared_ptr<Service> fresh(const std::string& service);
  void* create(const std::string& id) const;

  const std::string strategy_;
  const std::map<std::string, std::string> config_;
  const std::chrono::milliseconds refresh_;
  Fetch fetch_;
  const hub_load_balancer_vtable* vtable_ = nullptr;
  std::mutex mutex_;
  std::map<std::string, std::shared_ptr<Service>> services_;
};

}  // namespace hub::client
