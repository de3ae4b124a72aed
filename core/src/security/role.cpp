#include "role.hpp"

#include "basics/service_name.hpp"

namespace hub::security {

std::optional<Role> Role::parse(std::string_view text, std::string& problem) {
  if (text == "admin") return Role{Kind::admin, {}};
  if (text == "operator") return Role{Kind::operator_, {}};
  if (text == "reader") return Role{Kind::reader, {}};
  if (text.starts_with("service:")) {
    std::string name(text.substr(8));
    problem = validate_service_name("role service:NAME", name);
    if (!problem.empty()) return std::nullopt;
    return service_named(std::move(name));
  }
  problem = "role: \"" + std::string(text.substr(0, 60)) + "\" is not a role; use admin, operator, reader or service:NAME";
  return std::nullopt;
}

std::string Role::to_string() const {
  switch (kind) {
    case Kind::admin:
      return "admin";
    case Kind::operator_:
      return "operator";
    case Kind::service:
      return "service:" + service;
    case Kind::reader:
      break;
  }
  return "reader";
}

}  // namespace hub::security
