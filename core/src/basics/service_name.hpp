// What a service name may be: the registry, configs and roles (service:NAME) share the rule.
#pragma once

#include <string>

namespace hub {

// Empty when valid; otherwise "FIELD: what is wrong".
std::string validate_service_name(const std::string& field, const std::string& name);

}  // namespace hub
