// The manifest's discovery implementations, wired to the registry: sources
// deliver instances through a sink, and at most one liveness policy decides
// when silent self-registered instances go down or away.
#pragma once

#include "registry.hpp"

#include "plugin_host/plugin_instance.hpp"

#include <spdlog/logger.h>

#include <memory>
#include <vector>

namespace hub {

class DiscoveryPlugins {
 public:
  // Throws PluginError when two instances both offer a liveness policy.
  DiscoveryPlugins(std::vector<const PluginInstance*> instances, Registry& registry, std::shared_ptr<spdlog::logger> logger);
  ~DiscoveryPlugins();
  DiscoveryPlugins(const DiscoveryPlugins&) = delete;
  DiscoveryPlugins& operator=(const DiscoveryPlugins&) = delete;

  // Starts every source; when one refuses, stops the ones started and throws PluginError.
  void start();
  // When it returns no source calls the registry any more.
  void stop();
  // Empty when no enabled implementation offers a liveness policy.
  const AssessLiveness& liveness_policy() const { return policy_; }

 private:
  struct Source;
  std::vector<std::unique_ptr<Source>> sources_;
  AssessLiveness policy_;
};

}  // namespace hub
