// The HTTP API of versioned configs:
//   GET /config/{service}                      the effective config (global merged under the service's)
//   PUT|POST /config/{service}                 {"config_data": {...}, "created_by": "..."} -> a new active version
//   GET /config/{service}/history              versions and changes, newest first
//   GET /config/{service}/versions/{version}   one version as stored
//   GET /config/{service}/diff?from=N&to=M     what changed between two versions
//   POST /config/{service}/rollback            {"version": N, "created_by": "..."}
//   GET /config/{service}/watch?index=R&wait=S a blocking query: answers once the revision is not R
// and the same under /global-config for the global config (without watch).
#pragma once

#include "config/config_store.hpp"
#include "http/router.hpp"

namespace hub::config {

void add_config_routes(http::Router& router, ConfigStore& store);

}  // namespace hub::config
