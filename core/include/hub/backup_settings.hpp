// System-wide backup jobs (the `backups` section): what the hub runs on a schedule, where the
// output goes, how many are kept, and when a job counts as overdue.
#pragma once

#include <string>
#include <vector>

namespace hub {

struct BackupJobSettings {
  std::string name;
  // Run with /bin/sh -c; its standard output is the backup (pg_dump, clickhouse-backup, …).
  // Empty with `snapshot: true`: the hub's own snapshot, verified before it counts.
  std::string command;
  bool snapshot = false;
  // The file each run writes; "{time}" becomes the run's UTC time (20261201T043000Z), so runs keep
  // files of their own. Written beside it first, renamed into place when the run succeeds.
  std::string output;
  int interval_seconds = 86400;
  int timeout_seconds = 3600;
  int keep = 7;             // output files kept when the name has "{time}"; older ones are deleted
  int max_age_seconds = 0;  // the job's health turns degraded when its last success is older; 0: twice the interval
  std::string where;        // "FILE:LINE:COLUMN"
  int overdue_after() const { return max_age_seconds ? max_age_seconds : 2 * interval_seconds; }
};

struct BackupSettings {
  std::vector<BackupJobSettings> jobs;
};

}  // namespace hub
