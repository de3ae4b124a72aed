// A hub with the discovery plugin linked in, a ManualClock, and helpers that
// read the registry's JSON answers into their proto types.
#pragma once

#include "discovery_plugin.hpp"
#include "hub/api/v1/registry.pb.h"
#include "hub/api/v1/status.pb.h"

#include <hub/testing.hpp>

#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace hub::testing {

inline constexpr const char* kLiveness = R"(
    - library: discovery
      enable:
        - implementation: liveness
          config: {service_timeout_seconds: 90, auto_deregister_dead_services: true, deregister_after_seconds: 300}
)";

// `libraries` is the YAML list under plugins.libraries; `storage` the manifest's storage value;
// `sections` more top-level YAML ("liveness: {...}\n").
inline HubOptions registry_options(const std::string& libraries = kLiveness, std::shared_ptr<Clock> clock = nullptr,
                                   const std::string& storage = "{backend: memory}", const std::string& sections = "") {
  HubOptions options = test_options();
  const std::string yaml =
      "listen: 127.0.0.1:0\nstorage: " + storage + "\nlogging: {level: warn}\n" + sections + "plugins:\n  libraries:\n" + libraries;
  options.manifest = parse_manifest(yaml, "registry-test.yaml", ".");
  options.static_plugins.push_back({"discovery", &discovery_plugin});
  options.clock = std::move(clock);
  return options;
}

template <class Message>
Message parse_json(const HttpReply& reply) {
  Message message;
  const auto status = google::protobuf::util::JsonStringToMessage(reply.body, &message);
  EXPECT_TRUE(status.ok()) << status.ToString() << " in " << reply.body;
  return message;
}

}  // namespace hub::testing
