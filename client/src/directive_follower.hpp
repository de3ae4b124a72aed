// Follows one instance's directives from the hub (GET /directives/{service}/{instance}, a blocking
// watch) on a thread of its own with its own connection, hands each to the service's handler and
// acknowledges its answer. When its hub fails, the next watch goes to another of the hubs given. A directive already answered, or an
// upgrade to the version the instance runs (the new process after an upgrade sees the directive that started it), is not handed again.
#pragma once

#include <hub/client.hpp>

#include "hub_addresses.hpp"

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace Poco::Net {
class HTTPClientSession;
}

namespace hub::client {

class DirectiveFollower {
 public:
  struct Target {
    std::string hub_url;  // one, or several separated by commas
    std::string token, ca_file;
    std::string service, instance_id;
    std::function<std::string()> version;  // what the instance runs now
  };
  DirectiveFollower(Target target, std::function<DirectiveResult(const Directive&)> handler, std::chrono::milliseconds retry_wait);
  ~DirectiveFollower();  // stops
  DirectiveFollower(const DirectiveFollower&) = delete;
  DirectiveFollower& operator=(const DirectiveFollower&) = delete;
  void stop();

 private:
  void run();
  // One blocking watch; the directive to act on, if one came.
  std::optional<Directive> next(uint64_t& index);
  void acknowledge(const Directive& directive, const DirectiveResult& result);
  std::string exchange(const std::string& method, const std::string& path, const std::string& body, int& status);
  bool pause(std::chrono::milliseconds wait);

  const Target target_;
  HubAddresses hubs_;
  size_t session_hub_ = 0;  // the hub session_ is open to
  const std::function<DirectiveResult(const Directive&)> handler_;
  const std::chrono::milliseconds retry_wait_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::unique_ptr<Poco::Net::HTTPClientSession> session_;  // the follower thread's; stop() aborts it
  std::thread thread_;
};

}  // namespace hub::client
