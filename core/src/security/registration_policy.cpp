#include "registration_policy.hpp"

#include <algorithm>
#include <cctype>
#include <stdexcept>

namespace hub::security {

namespace {

std::string lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

std::vector<Network> networks(const std::vector<std::string>& texts) {
  std::vector<Network> parsed;
  for (const std::string& text : texts) {
    std::string problem;
    auto network = Network::parse(text, problem);
    if (!network) throw std::invalid_argument(problem);
    parsed.push_back(*network);
  }
  return parsed;
}

bool matches(const std::string& pattern, const std::string& name) {
  if (pattern == "*") return true;
  if (pattern.starts_with("*.")) return name.size() > pattern.size() - 1 && name.ends_with(pattern.substr(1));
  return pattern == name;
}

}  // namespace

RegistrationPolicy::RegistrationPolicy(const RegistrationRules& rules)
    : allowed_(networks(rules.allowed_networks)), denied_(networks(rules.denied_networks)) {
  for (const std::string& name : rules.allowed_host_names) names_.push_back(lower(name));
}

std::string RegistrationPolicy::refuse_address(const std::string& host, const IpAddress& address) const {
  for (const Network& network : denied_)
    if (network.contains(address)) return "host: " + host + " is in " + network.text + ", which registration.denied_networks refuses";
  if (allowed_.empty()) return "";
  for (const Network& network : allowed_)
    if (network.contains(address)) return "";
  return "host: " + host + " is in none of registration.allowed_networks";
}

std::string RegistrationPolicy::refusal(const std::string& host) const {
  if (auto address = IpAddress::parse(host)) return refuse_address(host, *address);
  const std::string name = lower(host);
  // The resolver answers these from /etc/hosts or by rule, whatever DNS says: they are loopback.
  if (name == "localhost" || name.ends_with(".localhost") || name == "localhost.localdomain") {
    for (const char* loopback : {"127.0.0.1", "::1"})
      if (std::string refused = refuse_address(host, *IpAddress::parse(loopback)); !refused.empty()) return refused;
  }
  if (std::any_of(names_.begin(), names_.end(), [&](const std::string& pattern) { return matches(pattern, name); })) return "";
  if (names_.empty()) return "host: " + host + " is a name, and registration.allowed_host_names accepts none: register an address";
  return "host: " + host + " matches none of registration.allowed_host_names";
}

}  // namespace hub::security
