#include <hub/token_admin.hpp>

#include "security/credentials.hpp"
#include "storage/storage.hpp"

#include <stdexcept>

namespace hub {

namespace {

// The storage the hub would open, brought to the schema this hub knows.
std::unique_ptr<Storage> open_for_tokens(const Manifest& manifest) {
  if (manifest.storage.backend == StorageSettings::Backend::memory)
    throw std::invalid_argument(
        "the manifest's storage is memory: tokens made now would be gone before the hub starts; use sqlite or postgres");
  std::unique_ptr<Storage> storage = open_storage(manifest.storage);
  storage->migrate(migrations_for(storage->backend()));
  return storage;
}

TokenListing listing_of(const TokenRecord& record) {
  return {record.id, record.role, record.description, record.created_at_unix_us, record.expires_at_unix_us, record.revoked_at_unix_us};
}

}  // namespace

IssuedToken create_token(const Manifest& manifest, const std::string& role_text, const std::string& description, int64_t lifetime_seconds) {
  std::string problem;
  const auto role = security::Role::parse(role_text, problem);
  if (!role) throw std::invalid_argument(problem);
  if (description.size() > 200) throw std::invalid_argument("description: at most 200 characters");
  auto storage = open_for_tokens(manifest);
  SystemClock clock;
  security::Credentials credentials(*storage, clock);
  const security::NewToken made = credentials.create(*role, description, lifetime_seconds);
  return {made.token, listing_of(made.record)};
}

std::vector<TokenListing> list_tokens(const Manifest& manifest) {
  auto storage = open_for_tokens(manifest);
  std::vector<TokenListing> listings;
  for (const TokenRecord& record : storage->load_tokens()) listings.push_back(listing_of(record));
  return listings;
}

bool revoke_token(const Manifest& manifest, const std::string& id) {
  auto storage = open_for_tokens(manifest);
  SystemClock clock;
  return storage->revoke_token(id, clock.now_unix_us());
}

}  // namespace hub
