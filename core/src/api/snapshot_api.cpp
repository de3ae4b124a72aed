#include "snapshot_api.hpp"

#include "backups/snapshot.hpp"
#include "http/encoding.hpp"

namespace hub {

void add_snapshot_routes(http::Router& router, Storage& storage, const Clock& clock, std::string hub_version, RestoreSnapshot restore) {
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
  // The body is the snapshot file, checked whole before anything of it is used.
  router.add("POST", "/snapshot/restore", [restore](const http::Request& request) {
    auto query = http::parse_query(request.query);
    if (query && query->count("force"))
      return http::error(request, 409, "restore_offline",
                         "a running hub restores only into itself empty; to replace what it holds, stop it and run hubd "
                         "--snapshot-restore FILE --config CONFIG --force; nothing was changed");
    StoredState state;
    try {
      backups::verify_snapshot(request.body);
      state = backups::read_snapshot(request.body);
    } catch (const backups::SnapshotError& error) {
      return http::error(request, 400, "invalid_snapshot", std::string(error.what()) + "; nothing was changed");
    }
    if (Status refused = restore(state)) return http::error(request, refused);
    return http::Response{200, "application/json",
                          "{\"restored\":true,\"instances\":" + std::to_string(state.instances.size()) +
                              ",\"config_versions\":" + std::to_string(state.config_versions.size()) +
                              ",\"rollouts\":" + std::to_string(state.rollouts.size()) + "}"};
  });
}

}  // namespace hub
