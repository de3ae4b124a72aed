// What security asks of storage: the tokens (as hashes) and the audit trail.
// Every call is one transaction or a StorageError.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace hub {

struct TokenRecord {
  std::string id;      // public: named in lists, the audit trail and revocations
  std::string sha256;  // of the token; the token itself is never stored
  std::string role;    // admin, operator, reader or service:NAME
  std::string description;
  int64_t created_at_unix_us = 0;
  int64_t expires_at_unix_us = 0;  // 0: never
  int64_t revoked_at_unix_us = 0;  // 0: not revoked
};

struct AuditEntry {
  int64_t id = 0;  // given by storage
  int64_t at_unix_us = 0;
  std::string token_id;  // "anonymous" with auth disabled, "none" without a credential, "cert:CN" for a client certificate
  std::string token_description;
  std::string role;
  std::string address;  // the peer's IP address
  std::string action;   // "POST /register"
  std::string target;   // what it named: "payments/payments-1", "config payments"
  int status = 0;
  std::string message;  // the refusal's words; empty on success
};

class SecurityStore {
 public:
  virtual ~SecurityStore() = default;
  // Fails (StorageError) when the id or the hash is already taken.
  virtual void save_token(const TokenRecord& token) = 0;
  virtual std::vector<TokenRecord> load_tokens() = 0;
  // Marks it revoked at `at`; false when no such token exists. Revoking again keeps the first time.
  virtual bool revoke_token(const std::string& id, int64_t at_unix_us) = 0;
  virtual void save_audit(const std::vector<AuditEntry>& entries) = 0;
  // Oldest first, from `since` (inclusive), at most `limit`.
  virtual std::vector<AuditEntry> load_audit(int64_t since_unix_us, size_t limit) = 0;
  virtual void prune_audit(int64_t older_than_unix_us) = 0;
};

}  // namespace hub
