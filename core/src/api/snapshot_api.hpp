// GET /snapshot: a consistent point-in-time snapshot of what the hub stores (backups/snapshot.hpp).
#pragma once

#include "http/router.hpp"
#include "storage/storage.hpp"

#include <hub/clock.hpp>

#include <hub/status.hpp>

#include <functional>
#include <string>

namespace hub {

// Puts a verified snapshot's state into the running hub (storage and memory); failed_precondition
// when the hub holds anything.
using RestoreSnapshot = std::function<Status(const StoredState& state)>;

void add_snapshot_routes(http::Router& router, Storage& storage, const Clock& clock, std::string hub_version, RestoreSnapshot restore);

}  // namespace hub
