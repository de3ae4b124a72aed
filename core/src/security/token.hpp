// Bearer tokens: "hub_" and 43 characters of base64url carrying 256 random bits, so a token is
// recognisable in a leaked file and cannot be guessed. Only its SHA-256 is stored: a token is
// shown once, when it is created. A fast hash suffices because the token is random, not chosen.
#pragma once

#include "role.hpp"

#include "storage/security_store.hpp"

#include <string>
#include <string_view>

namespace hub::security {

struct NewToken {
  std::string token;  // the secret, for the creator's eyes only
  TokenRecord record;
};

NewToken make_token(const Role& role, std::string description, int64_t now_unix_us, int64_t expires_at_unix_us);
// Lower-case hex SHA-256 of `token`.
std::string token_sha256(std::string_view token);
// Whether `text` is 64 lower- or upper-case hex digits (a hash given in the environment).
bool is_sha256_hex(std::string_view text);

}  // namespace hub::security
