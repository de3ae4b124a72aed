// Token management and the audit trail, for admins:
//   GET    /tokens          every token: id, role, description, when made, expiry, revocation (never the token or its hash)
//   POST   /tokens          {role, description, expires_in_seconds?} -> 201 with the token, shown this once
//   DELETE /tokens/{id}     revokes it: refused from the next request on, on every connection
//   GET    /audit?since=&limit=   the audit trail from `since` (RFC 3339 or Unix seconds), oldest first
#pragma once

#include "http/router.hpp"
#include "security/audit_log.hpp"
#include "security/credentials.hpp"

namespace hub {

// Without credentials (auth disabled) the token routes answer 409 saying so.
void add_token_routes(http::Router& router, security::Credentials* credentials);
void add_audit_routes(http::Router& router, security::AuditLog& audit);

}  // namespace hub
