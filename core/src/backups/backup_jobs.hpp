// The `backups` section's jobs, run on a schedule from a thread of their own: a command whose
// standard output is the backup (pg_dump for each database) or the hub's own snapshot, verified.
// Each run is recorded (hub_backup_runs) with its exit status, size and duration, announced as a
// backup.succeeded or backup.failed event (an alert), and old outputs beyond `keep` are deleted.
#pragma once

#include "storage/backup_store.hpp"
#include "storage/state_store.hpp"

#include <hub/backup_settings.hpp>
#include <hub/clock.hpp>
#include <hub/event_bus.hpp>

#include <spdlog/logger.h>

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace hub::backups {

class BackupJobs {
 public:
  struct Parts {
    BackupStore& runs;
    StateStore& state;
    const EventBus& events;
    std::shared_ptr<Clock> clock;
    std::shared_ptr<spdlog::logger> logger;
    std::string hub_version;
    // Several hubs on one database: true while this hub holds the lease to run the scheduled jobs
    // (throws StorageError when it cannot tell). Unset: this hub always runs them.
    std::function<bool()> leads = {};
  };
  struct Job {
    BackupJobSettings settings;
    std::optional<BackupRun> last, last_success;
    int64_t next_at_unix_us = 0;
    // healthy; degraded when the last success is older than the job's limit, or it never succeeded
    // and has failed; unknown before its first run.
    std::string status(int64_t now_unix_us) const;
  };

  BackupJobs(Parts parts, BackupSettings settings);
  ~BackupJobs();  // stops, killing a command that runs
  BackupJobs(const BackupJobs&) = delete;
  BackupJobs& operator=(const BackupJobs&) = delete;

  // Takes each job's latest runs from storage (a restarted hub does not run every job at once
  // again); throws StorageError.
  void restore();
  void start();
  void stop();
  // Runs `name` now on the calling thread, as its schedule would; the run as recorded.
  std::optional<BackupRun> run_now(const std::string& name);
  std::vector<Job> jobs() const;

 private:
  BackupRun run(const BackupJobSettings& job);
  void run_command_job(const BackupJobSettings& job, const std::string& partial, BackupRun& run);
  void run_snapshot_job(const std::string& partial, BackupRun& run);
  void finish(const BackupJobSettings& job, BackupRun run);
  void prune(const BackupJobSettings& job) const;
  void loop();
  bool leads_and_refresh();

  const Parts parts_;
  const BackupSettings settings_;
  mutable std::mutex mutex_;
  std::map<std::string, Job> jobs_;  // by name
  std::condition_variable wake_;
  std::atomic<bool> stopping_{false};
  std::mutex run_mutex_;  // one run at a time, scheduled or asked for
  std::thread thread_;
};

// "{time}" in a job's output, as each run fills it: 20261201T043000Z.
std::string output_for(const std::string& pattern, int64_t at_unix_us);

}  // namespace hub::backups
