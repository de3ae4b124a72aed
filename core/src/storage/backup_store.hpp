// What backup jobs ask of storage: a row per run. Every call is one transaction or a StorageError.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace hub {

struct BackupRun {
  std::string job;
  int64_t started_at_unix_us = 0;
  int64_t duration_ms = 0;
  bool succeeded = false;
  int exit_code = 0;
  int64_t size_bytes = 0;
  std::string output;   // where it wrote
  std::string message;  // why it failed, or a note
};

class BackupStore {
 public:
  virtual ~BackupStore() = default;
  virtual void save_backup_run(const BackupRun& run) = 0;
  // Each job's latest run and its latest successful one (which may be the same), by job name.
  virtual std::vector<BackupRun> load_backup_runs(int per_job) = 0;  // newest first within a job
};

}  // namespace hub
