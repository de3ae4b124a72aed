// The hub's API as hubctl calls it: JSON in and out over the client's connection (TLS, a token,
// several hubs with failover). A refusal or an unreachable hub is a HubFailure with the hub's
// message and the exit code scripts rely on.
#pragma once

#include "settings.hpp"

#include <nlohmann/json.hpp>

#include <memory>
#include <stdexcept>
#include <string>

namespace hub::client {
class Connection;
}

namespace hubctl {

using Json = nlohmann::json;

// hubctl's exit codes.
enum Exit : int {
  ok = 0,
  refused = 1,      // the hub refused the request (400, 401, 403, 422, ...)
  usage = 2,        // the command line is wrong
  not_found = 3,    // 404
  conflict = 4,     // 409: the state changed meanwhile, or the request contradicts it
  unavailable = 5,  // no hub answered, or every one answered 5xx
  cancelled = 6,    // the operator said no
};

class HubFailure : public std::runtime_error {
 public:
  HubFailure(int status, const std::string& message) : std::runtime_error(message), status_(status) {}
  int status() const { return status_; }
  Exit exit_code() const;

 private:
  int status_;
};

class HubApi {
 public:
  explicit HubApi(const Settings& settings);
  ~HubApi();

  // Throws HubFailure for a 4xx/5xx or no answer.
  Json get(const std::string& path) const { return call("GET", path, nullptr); }
  Json post(const std::string& path, const Json& body) const { return call("POST", path, body); }
  Json put(const std::string& path, const Json& body) const { return call("PUT", path, body); }
  Json call(const std::string& method, const std::string& path, const Json& body) const;
  // The answer's bytes as they are (a snapshot); throws HubFailure as call() does.
  std::string raw(const std::string& method, const std::string& path, const std::string& body, const std::string& content_type) const;

 private:
  std::unique_ptr<hub::client::Connection> connection_;
};

// A path segment or query value, percent-encoded.
std::string escaped(const std::string& text);

}  // namespace hubctl
