// The HTTP API of health monitoring:
//   GET /health/services              every service: {"api-gateway": {"status", "latency", "last_check", "instances"}}
//   GET /health/services/{service}    one service's instances with their recent checks
//   GET /health/infrastructure        {"postgresql": {"status", "response_time_ms", "error_message", "checked_at"}}
//   GET /health/uptime?window=24h     per service, the share of healthy results in the window
//   GET /health/alerts                the newest alerts, newest last
//   GET /health/scheduler             targets, checks run, in flight, lateness against the schedule
// Without a health_monitoring section each answers 501.
#pragma once

#include "backups/backup_jobs.hpp"
#include "health/health_monitor.hpp"
#include "http/router.hpp"
#include "registry/registry.hpp"

namespace hub {

// `jobs` (may be null): the backup jobs, shown among the infrastructure targets.
void add_health_routes(http::Router& router, HealthMonitor* monitor, const Registry* registry, const Clock& clock,
                       const backups::BackupJobs* jobs = nullptr);

}  // namespace hub
