#include "service_name.hpp"

#include <algorithm>
#include <cctype>

namespace hub {

std::string validate_service_name(const std::string& field, const std::string& name) {
  if (name.empty()) return field + ": required, a service name such as \"data-bridge\"";
  if (name.size() > 100) return field + ": longer than 100 characters";
  const auto allowed = [](unsigned char c) { return std::isalnum(c) || c == '.' || c == '_' || c == '-'; };
  if (!std::isalnum(static_cast<unsigned char>(name[0])) || !std::all_of(name.begin(), name.end(), allowed))
    return field + ": \"" + name + "\" is not a service name: use letters, digits, '.', '_' and '-', starting with a letter or digit";
  return "";
}

}  // namespace hub
