// The liveness pass's endpoints:
//   GET  /liveness          its state: active, grace or suspended, with the guard's figures
//   POST /liveness/confirm  an operator says the expiries the guard holds are real deaths
// Without a liveness policy each answers 501 saying so.
#pragma once

#include "http/router.hpp"
#include "registry/liveness.hpp"

#include "hub/api/v1/status.pb.h"

namespace hub {

void add_liveness_routes(http::Router& router, Liveness* liveness);
void to_proto(const Liveness& liveness, api::v1::LivenessStatus& out);

}  // namespace hub
