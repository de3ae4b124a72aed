#include "credentials.hpp"

#include "basics/time_text.hpp"

#include <set>

namespace hub::security {

namespace {

constexpr size_t kMaxTokenBytes = 256;
constexpr size_t kMaxCertificateCallers = 10'000;

bool starts_with_ignoring_case(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(text[i])) != std::tolower(static_cast<unsigned char>(prefix[i]))) return false;
  return true;
}

std::string_view trimmed(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

}  // namespace

bool Credentials::expired(const TokenRecord& record) const {
  return record.expires_at_unix_us && clock_.now_unix_us() >= record.expires_at_unix_us;
}

void Credentials::accept(const TokenRecord& record) {
  std::string problem;
  const std::optional<Role> role = Role::parse(record.role, problem);
  if (!role) return;  // a row this hub cannot read grants nothing
  auto caller = std::make_shared<Caller>(record.id, record.description, *role, record.expires_at_unix_us);
  if (record.revoked_at_unix_us || expired(record)) caller->revoke();
  hash_by_id_[record.id] = record.sha256;
  by_hash_[record.sha256] = Known{record, std::move(caller)};
}

void Credentials::reload() {
  const std::vector<TokenRecord> stored = store_.load_tokens();
  std::vector<std::shared_ptr<Caller>> ended;
  {
    std::unique_lock lock(mutex_);
    std::set<std::string> present;
    for (const TokenRecord& record : stored) {
      present.insert(record.sha256);
      auto found = by_hash_.find(record.sha256);
      if (found == by_hash_.end()) {
        accept(record);
        continue;
      }
      found->second.record = record;
      if ((record.revoked_at_unix_us || expired(record)) && !found->second.caller->revoked()) ended.push_back(found->second.caller);
    }
    for (auto it = by_hash_.begin(); it != by_hash_.end();) {
      const bool from_environment = it->second.record.created_at_unix_us == 0;
      if (from_environment || present.count(it->first)) {
        ++it;
        continue;
      }
      ended.push_back(it->second.caller);  // deleted from storage behind the hub's back: refused from now on
      hash_by_id_.erase(it->second.record.id);
      it = by_hash_.erase(it);
    }
  }
  for (const auto& caller : ended) caller->revoke();  // outside the lock: it ends streams
}

void Credentials::trust_admin_hash(const std::string& sha256, const std::string& source) {
  std::unique_lock lock(mutex_);
  TokenRecord record;
  record.id = "environment";
  record.sha256 = sha256;
  for (char& c : record.sha256) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  record.role = "admin";
  record.description = "admin token whose hash " + source + " gives";
  accept(record);
}

bool Credentials::current(const Caller& caller) const {
  return !caller.revoked() && (!caller.expires_at_unix_us() || clock_.now_unix_us() < caller.expires_at_unix_us());
}

std::shared_ptr<const Caller> Credentials::admit(std::string_view authorization, std::string& problem) const {
  authorization = trimmed(authorization);
  if (authorization.empty()) {
    problem = "this hub requires a token: send Authorization: Bearer TOKEN";
    return nullptr;
  }
  if (!starts_with_ignoring_case(authorization, "Bearer ")) {
    problem = "Authorization: only Bearer tokens are accepted";
    return nullptr;
  }
  const std::string_view token = trimmed(authorization.substr(7));
  if (token.empty() || token.size() > kMaxTokenBytes) {
    problem = "Authorization: the bearer token is not a hub token";
    return nullptr;
  }
  const std::string hash = token_sha256(token);
  std::shared_lock lock(mutex_);
  auto found = by_hash_.find(hash);
  if (found == by_hash_.end()) {
    problem = "the token is not known to this hub";
    return nullptr;
  }
  const Known& known = found->second;
  if (known.record.revoked_at_unix_us || (known.caller->revoked() && !expired(known.record))) {
    problem = "token " + known.record.id + " was revoked";
    return nullptr;
  }
  if (expired(known.record)) {
    problem = "token " + known.record.id + " expired at " + rfc3339_utc(known.record.expires_at_unix_us);
    return nullptr;
  }
  return known.caller;
}

std::shared_ptr<const Caller> Credentials::certificate(const std::string& common_name, std::string& problem) {
  {
    std::shared_lock lock(mutex_);
    auto found = certificates_.find(common_name);
    if (found != certificates_.end()) return found->second;
  }
  std::unique_lock lock(mutex_);
  std::string invalid;
  const std::optional<Role> role = Role::parse("service:" + common_name, invalid);
  if (!role) {
    problem = "the client certificate's common name is not a service name: " + invalid;
    return nullptr;
  }
  if (certificates_.size() >= kMaxCertificateCallers) certificates_.clear();  // bounded; callers are rebuilt on demand
  auto caller = std::make_shared<Caller>("cert:" + common_name, "client certificate CN=" + common_name, *role);
  return certificates_.emplace(common_name, caller).first->second;  // another thread may have made it meanwhile
}

NewToken Credentials::create(const Role& role, std::string description, int64_t lifetime_seconds) {
  const int64_t now = clock_.now_unix_us();
  NewToken made = make_token(role, std::move(description), now, lifetime_seconds ? now + lifetime_seconds * 1'000'000 : 0);
  store_.save_token(made.record);
  std::unique_lock lock(mutex_);
  accept(made.record);
  return made;
}

bool Credentials::revoke(const std::string& id) {
  const int64_t now = clock_.now_unix_us();
  std::shared_ptr<Caller> ended;
  {
    std::unique_lock lock(mutex_);
    auto hash = hash_by_id_.find(id);
    if (hash != hash_by_id_.end() && by_hash_.at(hash->second).record.created_at_unix_us == 0)
      throw std::invalid_argument("token " + id + " comes from the environment; remove it there and restart the hub");
  }
  if (!store_.revoke_token(id, now)) return false;
  {
    std::unique_lock lock(mutex_);
    auto hash = hash_by_id_.find(id);
    if (hash != hash_by_id_.end()) {
      Known& known = by_hash_.at(hash->second);
      if (!known.record.revoked_at_unix_us) known.record.revoked_at_unix_us = now;
      ended = known.caller;
    }
  }
  if (ended) ended->revoke();
  return true;
}

std::vector<TokenRecord> Credentials::list() const {
  std::shared_lock lock(mutex_);
  std::vector<TokenRecord> tokens;
  for (const auto& [hash, known] : by_hash_) {
    tokens.push_back(known.record);
    tokens.back().sha256.clear();  // nobody needs the hash to manage a token
  }
  std::sort(tokens.begin(), tokens.end(), [](const TokenRecord& a, const TokenRecord& b) {
    return std::tie(a.created_at_unix_us, a.id) < std::tie(b.created_at_unix_us, b.id);
  });
  return tokens;
}

}  // namespace hub::security
