// Reads instance fields from a config section's flattened keys, so static
// lists and DNS sources describe instances the same way.
#pragma once

#include <hub/plugin.hpp>

#include <string>

namespace hub::discovery {

// `prefix` is "" or "instances.3." and the keys below it are service, host,
// port, protocol, health_endpoint, version, weight and tags.N.
inline void read_instance_fields(const hub::Config& config, const std::string& prefix, hub::Instance& instance) {
  instance.protocol = config.string(prefix + "protocol", "http");
  instance.health_endpoint = config.string(prefix + "health_endpoint", "");
  instance.version = config.string(prefix + "version", "");
  const int64_t weight = config.integer(prefix + "weight", 0);
  if (weight < 0 || weight > 1'000'000)
    throw hub::Error(HUB_INVALID_ARGUMENT, "config key '" + prefix + "weight': expected 0 to 1000000, got " + std::to_string(weight));
  instance.weight = static_cast<uint32_t>(weight);
  for (int tag = 0; config.has(prefix + "tags." + std::to_string(tag)); ++tag)
    instance.tags.push_back(config.string(prefix + "tags." + std::to_string(tag), ""));
}

inline uint32_t read_port(const hub::Config& config, const std::string& key) {
  const int64_t port = config.integer(key, 0);
  if (port < 1 || port > 65535)
    throw hub::Error(HUB_INVALID_ARGUMENT, "config key '" + key + "' is required: a port, 1 to 65535" +
                                               (config.has(key) ? ", got " + std::to_string(port) : std::string()));
  return static_cast<uint32_t>(port);
}

}  // namespace hub::discovery
