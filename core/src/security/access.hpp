// Who may call which route: one table, so the README's matrix and the tests read the same rules.
// A route missing from the table needs admin: a new route is closed until it is given a rule.
#pragma once

#include "role.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace hub::security {

enum class Access {
  open,               // anyone, without a token: GET /health, for load balancers and orchestrators
  read,               // every role
  own_config,         // every role but service:NAME, which reads only NAME's config
  speak_for_service,  // admin, and service:NAME for NAME's instances (the handler checks the name)
  report_calls,       // admin, operator and any service:NAME: outcomes of calls to any service
  operate,            // operator and admin
  administer,         // admin
};

struct RouteAccess {
  std::string_view method;
  std::string_view pattern;  // as the router has it: "/config/{service}"
  Access access;
};

const std::vector<RouteAccess>& route_access();
Access access_of(std::string_view method, std::string_view pattern);
// Whether `role` may call a route of `access`; `service` is the route's {service} (own_config).
bool permits(const Role& role, Access access, std::string_view service);
// "operator or admin": for the 403's message.
std::string who_may(Access access);

}  // namespace hub::security
