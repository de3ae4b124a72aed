// Where a registrant may point the hub: an instance's host is where the hub's probes connect, so
// the YAML's `registration` rules decide which addresses and names are accepted. A refusal names
// the rule that refused.
#pragma once

#include "basics/network.hpp"

#include <hub/security_settings.hpp>

#include <string>
#include <vector>

namespace hub::security {

class RegistrationPolicy {
 public:
  // Throws std::invalid_argument for a rule that is not a network (the manifest reader checked already).
  explicit RegistrationPolicy(const RegistrationRules& rules);
  // Empty when `host` may be registered; otherwise why not ("host: 127.0.0.1 is in 127.0.0.0/8,
  // which registration.denied_networks refuses").
  std::string refusal(const std::string& host) const;

 private:
  std::string refuse_address(const std::string& host, const IpAddress& address) const;
  std::vector<Network> allowed_, denied_;
  std::vector<std::string> names_;  // lower case; "*" any
};

}  // namespace hub::security
