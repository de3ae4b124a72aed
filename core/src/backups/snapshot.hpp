// A snapshot of what the hub stores: the registry, every config version and change, the rollouts
// and the circuits, in a versioned file with a SHA-256 of its body, the way `consul snapshot save`
// and `etcdctl snapshot save` write theirs:
//
//   central-hub-snapshot 1
//   {"created_at":"2026-12-01T04:30:00.000Z","hub_version":"0.1.0","bytes":18234,"sha256":"9f2c…","instances":10,…}
//   {…the body: the state as JSON…}
//
// A file whose body does not match its SHA-256, or is cut short, is refused before anything of it
// is used.
#pragma once

#include "storage/state_store.hpp"

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace hub::backups {

constexpr int kSnapshotFormat = 1;

class SnapshotError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct SnapshotInfo {
  int format = 0;
  std::string created_at;
  std::string hub_version;
  std::string sha256;
  size_t bytes = 0;
  size_t instances = 0, config_versions = 0, rollouts = 0;
};

std::string write_snapshot(const StoredState& state, int64_t now_unix_us, const std::string& hub_version);
// Throws SnapshotError saying what is wrong with `bytes`.
StoredState read_snapshot(std::string_view bytes, SnapshotInfo* info = nullptr);
// The body a state writes: two states are the same when theirs are.
std::string state_body(const StoredState& state);
// Reads the snapshot, restores it into an in-memory store and compares what that store holds with
// it; throws SnapshotError when they differ or the file does not read.
SnapshotInfo verify_snapshot(std::string_view bytes);

}  // namespace hub::backups
