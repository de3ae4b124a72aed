// Security at the API's door: the gate that checks each request's credential against the route's
// rule (security/access.hpp), and the observer that puts every write in the audit trail.
//   401 unauthenticated: no credential, or one the hub does not accept (unknown, revoked, expired)
//   403 forbidden: a credential whose role may not call the route
#pragma once

#include "http/router.hpp"
#include "security/audit_log.hpp"
#include "security/credentials.hpp"

#include <hub/security_settings.hpp>

#include <memory>
#include <optional>
#include <string>

namespace hub {

// With auth disabled every request comes from "anonymous", an admin; `credentials` may then be null.
void guard_routes(http::Router& router, const SecuritySettings& settings, security::Credentials* credentials,
                  std::shared_ptr<security::AuditLog> audit);

// The refusal when the request's caller may not speak for `service` (register, heartbeat and
// deregister its instances); nullopt when it may, or when nothing set a caller.
std::optional<http::Response> refuse_other_service(const http::Request& request, const std::string& service);

// What created_by records for a write: the caller's identity ("token:ID", "cert:CN"), and after it
// the client's own created_by as a note. Without auth, the client's text as before.
std::string author_of(const http::Request& request, const std::string& note);

}  // namespace hub
