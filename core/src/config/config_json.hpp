// The JSON work of versioned configs: parsing within limits, refusing keys that
// look like secrets, merging the global config under a service's, and diffing
// two versions.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

namespace hub::config {

using Json = nlohmann::json;

struct ConfigLimits {
  size_t max_bytes = 256 * 1024;
  int max_depth = 32;
};

// Parses `text` as one JSON value, refusing nesting deeper than max_depth
// before it is built. On failure, nullopt and `problem` says where and why.
std::optional<Json> parse_json(const std::string& text, int max_depth, std::string& problem);

// Why a config may not be stored: "PATH: what is wrong", PATH as in "operational.brokers[0].password".
struct ConfigProblem {
  std::string message;  // empty when there is no problem
  bool secret = false;  // a key looks like a secret
  explicit operator bool() const { return !message.empty(); }
};
// Checks it is an object, its size, depth and keys.
ConfigProblem check_config(const Json& config, const ConfigLimits& limits);

// True for keys like "password", "db_password", "apiKey", "private-key", "auth_token".
bool looks_like_secret(const std::string& key);

// `over` laid on `base`: objects merge key by key, recursively; any other value of `over` wins.
Json deep_merge(const Json& base, const Json& over);

struct ConfigDifference {
  std::string path;
  std::string change;  // "added", "removed" or "changed"
  Json from, to;       // null where absent
};
// What changed from `from` to `to`, path by path, objects recursed, in key order.
std::vector<ConfigDifference> diff(const Json& from, const Json& to);

}  // namespace hub::config
