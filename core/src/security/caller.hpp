// Who sent a request, as the hub established it: a token, a client certificate, or nobody (auth
// disabled). Shared by every request made with the same credential; revoking the credential marks
// it at once, so a long-lived stream or watch opened with it can be ended too.
#pragma once

#include "role.hpp"

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace hub::security {

class Caller {
 public:
  Caller(std::string id, std::string description, Role role, int64_t expires_at_unix_us = 0)
      : id_(std::move(id)), description_(std::move(description)), role_(std::move(role)), expires_at_unix_us_(expires_at_unix_us) {}

  const std::string& id() const { return id_; }  // the token's id, "cert:CN" or "anonymous"
  const std::string& description() const { return description_; }
  const Role& role() const { return role_; }
  int64_t expires_at_unix_us() const { return expires_at_unix_us_; }  // 0: never

  bool revoked() const { return revoked_.load(std::memory_order_acquire); }
  // `ended` runs once when the credential is revoked (at once if it already is). Hold the returned
  // pointer as long as the stream lives: dropping it withdraws the call.
  std::shared_ptr<void> on_revoke(std::function<void()> ended) const;
  void revoke();

 private:
  const std::string id_;
  const std::string description_;
  const Role role_;
  const int64_t expires_at_unix_us_;
  std::atomic<bool> revoked_{false};
  mutable std::mutex mutex_;
  mutable std::vector<std::weak_ptr<std::function<void()>>> on_revoke_;
  mutable size_t prune_at_ = 64;
};

}  // namespace hub::security
