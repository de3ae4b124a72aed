#include "token.hpp"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <stdexcept>

namespace hub::security {

namespace {

std::string random_bytes(size_t count) {
  std::string bytes(count, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(bytes.data()), static_cast<int>(count)) != 1)
    throw std::runtime_error("the system's random number generator failed; no token was made");
  return bytes;
}

std::string base64url(const std::string& bytes) {
  static const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  uint32_t bits = 0;
  int held = 0;
  for (unsigned char byte : bytes) {
    bits = (bits << 8) | byte;
    held += 8;
    while (held >= 6) out += alphabet[(bits >> (held -= 6)) & 63];
  }
  if (held) out += alphabet[(bits << (6 - held)) & 63];
  return out;
}

std::string hex(const unsigned char* data, size_t size) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < size; ++i) out += {digits[data[i] >> 4], digits[data[i] & 15]};
  return out;
}

}  // namespace

std::string token_sha256(std::string_view token) {
  // Fetched once: OpenSSL 3 looks an implicit EVP_sha256() up in its providers on every call, which
  // cost more than the hash itself on every authenticated request.
  static EVP_MD* const sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (!sha256 || EVP_Digest(token.data(), token.size(), digest, &size, sha256, nullptr) != 1)
    throw std::runtime_error("OpenSSL could not compute SHA-256");
  return hex(digest, size);
}

bool is_sha256_hex(std::string_view text) {
  return text.size() == 64 && text.find_first_not_of("0123456789abcdefABCDEF") == std::string_view::npos;
}

NewToken make_token(const Role& role, std::string description, int64_t now_unix_us, int64_t expires_at_unix_us) {
  NewToken made;
  made.token = "hub_" + base64url(random_bytes(32));
  const std::string id_bytes = random_bytes(6);
  made.record.id = hex(reinterpret_cast<const unsigned char*>(id_bytes.data()), id_bytes.size());
  made.record.sha256 = token_sha256(made.token);
  made.record.role = role.to_string();
  made.record.description = std::move(description);
  made.record.created_at_unix_us = now_unix_us;
  made.record.expires_at_unix_us = expires_at_unix_us;
  return made;
}

}  // namespace hub::security
