// What `hubd --snapshot-save` and `--snapshot-restore` do: snapshots of a manifest's storage with
// no hub running (a running hub serves GET /snapshot). See README, "Snapshots".
#pragma once

#include <hub/manifest.hpp>

#include <cstddef>
#include <filesystem>
#include <string>

namespace hub {

struct SnapshotSummary {
  std::string sha256;
  size_t bytes = 0;
  size_t instances = 0, config_versions = 0, rollouts = 0;
};

// Writes the snapshot to `file` (through a temporary file renamed into place, so a crash leaves no
// half file), then reads it back and verifies it. Throws std::runtime_error saying what failed.
SnapshotSummary save_snapshot(const Manifest& manifest, const std::filesystem::path& file);
// Verifies `file`, then replaces what the manifest's storage holds with it in one transaction.
// Refuses storage that holds instances, configs or rollouts unless `force`.
SnapshotSummary restore_snapshot(const Manifest& manifest, const std::filesystem::path& file, bool force);

}  // namespace hub
