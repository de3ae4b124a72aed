#include "config_json.hpp"

#include <algorithm>
#include <cctype>

namespace hub::config {

namespace {

// Thrown by the parser callback to stop a document that nests too deep.
struct TooDeep {};

std::string child_path(const std::string& parent, const std::string& key) {
  return parent.empty() ? key : parent + "." + key;
}

// "dbPassword" -> {db, password}; "private-key" -> {private, key}
std::vector<std::string> words_of(const std::string& key) {
  std::vector<std::string> words(1);
  for (size_t i = 0; i < key.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(key[i]);
    if (!std::isalnum(c)) {
      if (!words.back().empty()) words.emplace_back();
      continue;
    }
    const bool camel_break = std::isupper(c) && i > 0 && std::islower(static_cast<unsigned char>(key[i - 1]));
    if (camel_break && !words.back().empty()) words.emplace_back();
    words.back() += static_cast<char>(std::tolower(c));
  }
  if (words.back().empty()) words.pop_back();
  return words;
}

ConfigProblem check_value(const Json& value, const std::string& path, int depth, int max_depth) {
  if ((value.is_object() || value.is_array()) && depth > max_depth)
    return {(path.empty() ? std::string("(root)") : path) + ": nested deeper than " + std::to_string(max_depth) + " levels"};
  if (value.is_object()) {
    for (const auto& [key, child] : value.items()) {
      const std::string at = child_path(path, key);
      if (key.empty()) return {at + ": empty keys are not accepted"};
      if (looks_like_secret(key))
        return {at + ": keys that look like secrets are refused; keep secrets in the environment (layer 1), not in the hub", true};
      if (ConfigProblem problem = check_value(child, at, depth + 1, max_depth)) return problem;
    }
  } else if (value.is_array()) {
    for (size_t i = 0; i < value.size(); ++i)
      if (ConfigProblem problem = check_value(value[i], path + "[" + std::to_string(i) + "]", depth + 1, max_depth)) return problem;
  }
  return {};
}

void diff_into(const Json& from, const Json& to, const std::string& path, std::vector<ConfigDifference>& out) {
  if (from.is_object() && to.is_object()) {
    std::vector<std::string> keys;
    for (const auto& [key, value] : from.items()) keys.push_back(key);
    for (const auto& [key, value] : to.items())
      if (!from.contains(key)) keys.push_back(key);
    std::sort(keys.begin(), keys.end());
    for (const std::string& key : keys) {
      const std::string at = child_path(path, key);
      if (!to.contains(key))
        out.push_back({at, "removed", from.at(key), nullptr});
      else if (!from.contains(key))
        out.push_back({at, "added", nullptr, to.at(key)});
      else
        diff_into(from.at(key), to.at(key), at, out);
    }
  } else if (from != to) {
    out.push_back({path.empty() ? "(root)" : path, "changed", from, to});
  }
}

}  // namespace

std::optional<Json> parse_json(const std::string& text, int max_depth, std::string& problem) {
  try {
    return Json::parse(text, [max_depth](int depth, Json::parse_event_t, Json&) {
      if (depth > max_depth) throw TooDeep{};
      return true;
    });
  } catch (const TooDeep&) {
    problem = "nested deeper than " + std::to_string(max_depth) + " levels";
  } catch (const Json::parse_error& error) {
    problem = "malformed JSON at byte " + std::to_string(error.byte) + ": " +
              std::string(error.what()).substr(std::string(error.what()).find(':') + 2);
  }
  return std::nullopt;
}

bool looks_like_secret(const std::string& key) {
  static const char* const kSecretWords[] = {"password",    "passwd", "passphrase", "secret",    "token",     "credential",
                                             "credentials", "apikey", "privatekey", "accesskey", "secretkey", "signingkey"};
  static const std::pair<const char*, const char*> kSecretPairs[] = {{"api", "key"},    {"private", "key"}, {"access", "key"},
                                                                     {"secret", "key"}, {"signing", "key"}, {"client", "secret"}};
  const std::vector<std::string> words = words_of(key);
  for (const std::string& word : words)
    for (const char* secret : kSecretWords)
      if (word == secret) return true;
  for (size_t i = 0; i + 1 < words.size(); ++i)
    for (const auto& [first, second] : kSecretPairs)
      if (words[i] == first && words[i + 1] == second) return true;
  return false;
}

ConfigProblem check_config(const Json& config, const ConfigLimits& limits) {
  if (!config.is_object()) return {std::string("config_data: must be a JSON object, got ") + config.type_name()};
  const size_t bytes = config.dump().size();
  if (bytes > limits.max_bytes)
    return {"config_data: " + std::to_string(bytes) + " bytes, over the limit of " + std::to_string(limits.max_bytes)};
  ConfigProblem problem = check_value(config, "", 1, limits.max_depth);
  if (problem) problem.message = "config_data." + problem.message;
  return problem;
}

Json deep_merge(const Json& base, const Json& over) {
  if (!base.is_object() || !over.is_object()) return over;
  Json merged = base;
  for (const auto& [key, value] : over.items()) merged[key] = merged.contains(key) ? deep_merge(merged[key], value) : value;
  return merged;
}

std::vector<ConfigDifference> diff(const Json& from, const Json& to) {
  std::vector<ConfigDifference> out;
  diff_into(from, to, "", out);
  return out;
}

}  // namespace hub::config
