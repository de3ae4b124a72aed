#include "access.hpp"

namespace hub::security {

const std::vector<RouteAccess>& route_access() {
  using enum Access;
  static const std::vector<RouteAccess> table{
      {"GET", "/health", open},
      {"GET", "/plugins", read},
      {"GET", "/metrics", read},
      {"GET", "/services", read},
      {"GET", "/services/{name}", read},
      {"GET", "/services/{name}/dependencies", read},
      {"GET", "/discover/{name}", read},
      {"GET", "/lb/{name}", read},
      {"GET", "/lb/{name}/load", read},
      {"GET", "/circuits", read},
      {"GET", "/circuits/{service}", read},
      {"GET", "/liveness", read},
      {"GET", "/health/services", read},
      {"GET", "/health/services/{service}", read},
      {"GET", "/health/infrastructure", read},
      {"GET", "/health/uptime", read},
      {"GET", "/health/alerts", read},
      {"GET", "/health/scheduler", read},
      {"GET", "/health/infrastructure/trend", read},
      {"GET", "/health/services/{service}/trend", read},
      {"GET", "/whoami", read},
      {"GET", "/events/stream", read},
      {"GET", "/ui", open},
      {"GET", "/ui/{file}", open},
      {"GET", "/ui/vendor/{file}", open},
      {"GET", "/global-config", read},
      {"GET", "/global-config/history", read},
      {"GET", "/global-config/versions/{version}", read},
      {"GET", "/global-config/diff", read},
      {"GET", "/config/{service}", own_config},
      {"GET", "/config/{service}/history", own_config},
      {"GET", "/config/{service}/versions/{version}", own_config},
      {"GET", "/config/{service}/diff", own_config},
      {"GET", "/config/{service}/watch", own_config},
      {"GET", "/config/{service}/stream", own_config},
      {"POST", "/register", speak_for_service},
      {"POST", "/heartbeat", speak_for_service},
      {"POST", "/deregister", speak_for_service},
      {"POST", "/outcomes", report_calls},
      {"POST", "/drain", speak_for_service},
      {"PUT", "/config/{service}", operate},
      {"POST", "/config/{service}", operate},
      {"POST", "/config/{service}/rollback", operate},
      {"PUT", "/global-config", operate},
      {"POST", "/global-config", operate},
      {"POST", "/global-config/rollback", operate},
      {"POST", "/liveness/confirm", operate},
      {"PUT", "/circuits/{service}/state", operate},
      {"GET", "/deployments", read},
      {"GET", "/deployments/{id}", read},
      {"POST", "/deployments", operate},
      {"POST", "/deployments/{id}/{command}", operate},
      {"GET", "/directives/{service}/{instance}", own_config},
      {"GET", "/directives/{service}/{instance}/stream", own_config},
      {"POST", "/directives/{service}/{instance}/ack", speak_for_service},
      {"GET", "/tokens", administer},
      {"POST", "/tokens", administer},
      {"DELETE", "/tokens/{id}", administer},
      {"GET", "/audit", administer},
      {"GET", "/snapshot", administer},
      {"POST", "/snapshot/restore", administer},
      {"GET", "/backups", read},
      {"POST", "/backups/{job}/run", operate},
      {"POST", "/errors", report_calls},
      {"GET", "/errors", read},
      {"GET", "/errors/services", read},
      {"GET", "/errors/{fingerprint}", read},
      {"POST", "/performance", report_calls},
      {"GET", "/performance", read},
      {"GET", "/cluster", read},
  };
  return table;
}

Access access_of(std::string_view method, std::string_view pattern) {
  if (method == "HEAD") method = "GET";
  for (const RouteAccess& route : route_access())
    if (route.method == method && route.pattern == pattern) return route.access;
  return Access::administer;
}

bool permits(const Role& role, Access access, std::string_view service) {
  using Kind = Role::Kind;
  switch (access) {
    case Access::open:
    case Access::read:
      return true;
    case Access::own_config:
      return role.kind != Kind::service || role.service == service;
    case Access::speak_for_service:
      return role.kind == Kind::admin || role.kind == Kind::service;
    case Access::report_calls:
      return role.kind == Kind::service || role.operates();
    case Access::operate:
      return role.operates();
    case Access::administer:
      return role.kind == Kind::admin;
  }
  return false;
}

std::string who_may(Access access) {
  switch (access) {
    case Access::open:
    case Access::read:
      return "any role";
    case Access::own_config:
      return "admin, operator, reader, or the service itself";
    case Access::speak_for_service:
      return "admin, or the service itself (service:NAME)";
    case Access::report_calls:
      return "a service (service:NAME), operator or admin";
    case Access::operate:
      return "operator or admin";
    case Access::administer:
      break;
  }
  return "admin";
}

}  // namespace hub::security
