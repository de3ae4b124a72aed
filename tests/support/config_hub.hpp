// A hub for config tests and helpers that speak the config API in JSON.
#pragma once

#include <hub/http_call.hpp>
#include <hub/testing.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <string>

namespace hub::testing {

using Json = nlohmann::json;

// `extra_yaml` is added at the top level of the manifest, e.g. "config_management: {retention_versions: 3}".
inline HubOptions config_options(const std::string& extra_yaml = "", const std::string& storage = "{backend: memory}") {
  HubOptions options = test_options();
  options.manifest = parse_manifest("listen: 127.0.0.1:0\nstorage: " + storage + "\nlogging: {level: warn}\n" + extra_yaml + "\n",
                                    "config-test.yaml", ".");
  return options;
}

inline HttpReply put_config(const std::string& url, const std::string& body) {
  HttpCallOptions options;
  options.body = body;
  return http_call("PUT", url, options);
}

inline Json json_of(const HttpReply& reply) {
  Json parsed = Json::parse(reply.body, nullptr, /*allow_exceptions=*/false);
  EXPECT_FALSE(parsed.is_discarded()) << "not JSON: " << reply.body;
  return parsed;
}

}  // namespace hub::testing
