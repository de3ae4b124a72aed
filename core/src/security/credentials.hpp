// The tokens the hub accepts, in memory, checked on every request: a revocation through the API
// holds on the next request of every connection. Storage keeps them (as hashes) for restarts and
// for `hubd token`, whose offline changes each housekeeping pass reads back (reload()).
#pragma once

#include "caller.hpp"
#include "token.hpp"

#include "storage/security_store.hpp"

#include <hub/clock.hpp>

#include <map>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace hub::security {

class Credentials {
 public:
  Credentials(SecurityStore& store, const Clock& clock) : store_(store), clock_(clock) {}

  // Reads every token from storage; tokens revoked, expired or deleted since end their callers.
  void reload();
  // An admin token known by its hash alone (HUB_ADMIN_TOKEN_SHA256): never stored, never listed as a secret.
  void trust_admin_hash(const std::string& sha256, const std::string& source);

  // The caller an "Authorization: Bearer TOKEN" header names, or nullptr with `problem` saying why
  // (never quoting the token).
  std::shared_ptr<const Caller> admit(std::string_view authorization, std::string& problem) const;
  // Whether a caller admitted before may still speak: not revoked, not expired. What a connection
  // that sends the same credential again is checked with, instead of hashing it again.
  bool current(const Caller& caller) const;
  // The caller a verified client certificate with this common name stands for: service:NAME.
  std::shared_ptr<const Caller> certificate(const std::string& common_name, std::string& problem);

  // Stores the token, then accepts it; it expires `lifetime_seconds` from now (0: never). Throws StorageError.
  NewToken create(const Role& role, std::string description, int64_t lifetime_seconds);
  // Stores the revocation, then refuses the token at once. False when no token has that id.
  bool revoke(const std::string& id);
  std::vector<TokenRecord> list() const;

 private:
  struct Known {
    TokenRecord record;
    std::shared_ptr<Caller> caller;
  };
  void accept(const TokenRecord& record);  // under the write lock
  bool expired(const TokenRecord& record) const;

  SecurityStore& store_;
  const Clock& clock_;
  mutable std::shared_mutex mutex_;
  std::unordered_map<std::string, Known> by_hash_;
  std::unordered_map<std::string, std::string> hash_by_id_;
  std::map<std::string, std::shared_ptr<Caller>> certificates_;
};

}  // namespace hub::security
