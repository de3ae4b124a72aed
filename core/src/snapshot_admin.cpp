#include <hub/snapshot_admin.hpp>

#include <hub/clock.hpp>
#include "backups/snapshot.hpp"
#include "storage/storage.hpp"

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace hub {

namespace {

std::unique_ptr<Storage> open_for_snapshots(const Manifest& manifest) {
  if (manifest.storage.backend == StorageSettings::Backend::memory)
    throw std::invalid_argument("the manifest's storage is memory: there is nothing outside a running hub to save or restore into");
  std::unique_ptr<Storage> storage = open_storage(manifest.storage);
  storage->migrate(migrations_for(storage->backend()));
  return storage;
}

SnapshotSummary summary_of(const backups::SnapshotInfo& info) {
  return {info.sha256, info.bytes, info.instances, info.config_versions, info.rollouts};
}

}  // namespace

SnapshotSummary save_snapshot(const Manifest& manifest, const std::filesystem::path& file) {
  const std::string bytes = backups::write_snapshot(open_for_snapshots(manifest)->export_state(), SystemClock().now_unix_us(), HUB_VERSION);
  const backups::SnapshotInfo info = backups::verify_snapshot(bytes);
  const std::filesystem::path partial = file.string() + ".partial";
  {
    std::ofstream out(partial, std::ios::binary | std::ios::trunc);
    out << bytes;
    out.flush();
    if (!out) throw std::runtime_error("cannot write " + partial.string());
  }
  std::filesystem::rename(partial, file);
  return summary_of(info);
}

SnapshotSummary restore_snapshot(const Manifest& manifest, const std::filesystem::path& file, bool force) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + file.string());
  std::stringstream bytes;
  bytes << in.rdbuf();
  const backups::SnapshotInfo info = backups::verify_snapshot(bytes.str());
  const StoredState state = backups::read_snapshot(bytes.str());
  std::unique_ptr<Storage> storage = open_for_snapshots(manifest);
  if (!force && !storage->export_state().empty())
    throw std::runtime_error("the storage already holds instances, configs or rollouts; restoring would replace them: add --force to");
  storage->import_state(state);
  return summary_of(info);
}

}  // namespace hub
