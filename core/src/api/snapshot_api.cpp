#include "snapshot_api.hpp"

#include "backups/snapshot.hpp"
#include "http/encoding.hpp"

namespace hub {

void add_snapshot_routes(http::Router& router, Storage& storage, const Clock& clock, std::string hub_version) {
  // Read from storage in one transaction: everything the hub acknowledged is there (heartbeats
  // within a second). On a worker: it reads every table.
  router.add("GET", "/snapshot", [&storage, &clock, hub_version](const http::Request& request) {
    StoredState state;
    try {
      state = storage.export_state();
    } catch (const std::exception& error) {
      return http::error(request, 503, "storage_unavailable", std::string("no snapshot: storage did not answer: ") + error.what());
    }
    return http::Response{200, "application/octet-stream", backups::write_snapshot(state, clock.now_unix_us(), hub_version)};
  });
}

}  // namespace hub
