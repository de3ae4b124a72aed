// Deployment coordination over HTTP: /deployments (rollouts and their commands) and /directives
// (what each instance is told: a blocking watch, a WebSocket stream, and its acknowledgement).
#pragma once

#include "deployments/deployments.hpp"
#include "http/router.hpp"

namespace hub {

// With `deployments` null (no registry in this deployment) every route says so.
void add_deployment_routes(http::Router& router, deployments::Deployments* deployments, deployments::DirectiveBoard* board);

}  // namespace hub
