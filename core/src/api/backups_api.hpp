// GET /backups: each backup job's last run, last success and its age; POST /backups/{job}/run runs
// one now. Also each job as an entry of GET /health/infrastructure ("backup:NAME").
#pragma once

#include "backups/backup_jobs.hpp"
#include "http/router.hpp"

#include <hub/clock.hpp>

#include <nlohmann/json.hpp>

namespace hub {

void add_backup_routes(http::Router& router, backups::BackupJobs& jobs, const Clock& clock);
// The jobs as /health/infrastructure shows its targets, by "backup:NAME".
nlohmann::json backup_targets(const backups::BackupJobs& jobs, const Clock& clock);

}  // namespace hub
