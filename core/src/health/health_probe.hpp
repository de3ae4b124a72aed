// Runs checks through a health_probe implementation and enforces their
// deadline on the hub's side: a report that comes late is ignored, and one
// that never comes cannot leak or crash. A plugin whose check() blocks holds
// the calling thread, so a scheduler calls check() from threads of its own.
//
//   hub::HealthProbe probe(std::move(instance));
//   hub::ProbeOutcome outcome = probe.check({.name = "root-disk", .endpoint = "/"}, 2s);
#pragma once

#include "plugin_host/plugin_instance.hpp"

#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace hub {

struct CheckTarget {
  std::string name;
  std::string host;
  uint32_t port = 0;
  std::string endpoint;
  std::vector<std::pair<std::string, std::string>> attributes;
};

struct ProbeOutcome {
  hub_health status = HUB_HEALTH_UNKNOWN;
  int64_t latency_us = 0;
  std::string message;
};

class HealthProbe {
 public:
  explicit HealthProbe(std::unique_ptr<PluginInstance> instance);  // must be a health_probe
  ~HealthProbe();

  // The plugin's result, or DOWN with "timed out after N ms" once timeout
  // passes on the hub's clock, or DOWN with the plugin's refusal.
  ProbeOutcome check(const CheckTarget& target, std::chrono::milliseconds timeout);
  const PluginInstance& instance() const { return *instance_; }

 private:
  struct Tracker;
  std::shared_ptr<Tracker> tracker_;
  std::unique_ptr<PluginInstance> instance_;
};

}  // namespace hub
