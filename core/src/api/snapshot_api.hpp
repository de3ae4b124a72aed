// GET /snapshot: a consistent point-in-time snapshot of what the hub stores (backups/snapshot.hpp).
#pragma once

#include "http/router.hpp"
#include "storage/storage.hpp"

#include <hub/clock.hpp>

#include <string>

namespace hub {

void add_snapshot_routes(http::Router& router, Storage& storage, const Clock& clock, std::string hub_version);

}  // namespace hub
