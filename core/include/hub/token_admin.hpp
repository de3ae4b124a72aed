// What `hubd token create|list|revoke` does: token management offline, straight against the
// storage a manifest names, so the first admin token can exist before the hub first starts. A
// running hub reads the changes back within one housekeeping pass (a second).
#pragma once

#include <hub/manifest.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace hub {

struct TokenListing {
  std::string id, role, description;
  int64_t created_at_unix_us = 0, expires_at_unix_us = 0, revoked_at_unix_us = 0;
};

struct IssuedToken {
  std::string token;  // shown once; the storage keeps only its SHA-256
  TokenListing listing;
};

// Each throws std::invalid_argument for a bad role, or StorageError.
IssuedToken create_token(const Manifest& manifest, const std::string& role, const std::string& description, int64_t lifetime_seconds);
std::vector<TokenListing> list_tokens(const Manifest& manifest);
bool revoke_token(const Manifest& manifest, const std::string& id);  // false: no token has that id

}  // namespace hub
