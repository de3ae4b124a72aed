// POST /errors: batches of error events, each checked before any is taken; GET /errors[?service=&since=&limit=]
// and GET /errors/{fingerprint}: the groups ErrorDNA makes of them; GET /errors/services: each
// service's error rate against its baseline.
#pragma once

#include "error_groups/error_groups.hpp"
#include "http/router.hpp"

#include <hub/error_settings.hpp>

namespace hub {

void add_error_routes(http::Router& router, error_groups::ErrorGroups& groups, const ErrorSettings& settings);

}  // namespace hub
