#include "backups_api.hpp"

#include "basics/time_text.hpp"
#include "http/encoding.hpp"

namespace hub {

namespace {

using nlohmann::json;

json run_json(const BackupRun& run) {
  return {{"started_at", rfc3339_utc(run.started_at_unix_us)},
          {"duration_ms", run.duration_ms},
          {"succeeded", run.succeeded},
          {"exit_code", run.exit_code},
          {"size_bytes", run.size_bytes},
          {"output", run.output},
          {"message", run.message}};
}

json job_json(const backups::BackupJobs::Job& job, int64_t now_us) {
  const BackupJobSettings& settings = job.settings;
  json out = {{"name", settings.name},
              {"kind", settings.snapshot ? "snapshot" : "command"},
              {"interval_seconds", settings.interval_seconds},
              {"max_age_seconds", settings.overdue_after()},
              {"status", job.status(now_us)},
              {"last_run", job.last ? run_json(*job.last) : json()},
              {"last_success", job.last_success ? run_json(*job.last_success) : json()},
              {"last_success_age_seconds", job.last_success ? json((now_us - job.last_success->started_at_unix_us) / 1'000'000) : json()},
              {"next_run_at", rfc3339_utc(std::max(job.next_at_unix_us, now_us))}};
  if (!settings.snapshot) out["command"] = settings.command;
  return out;
}

}  // namespace

json backup_targets(const backups::BackupJobs& jobs, const Clock& clock) {
  const int64_t now_us = clock.now_unix_us();
  json out = json::object();
  for (const backups::BackupJobs::Job& job : jobs.jobs()) {
    json entry = {{"status", job.status(now_us)}, {"response_time_ms", nullptr}, {"error_message", nullptr}, {"checked_at", nullptr}};
    if (job.last) {
      entry["checked_at"] = rfc3339_utc(job.last->started_at_unix_us);
      entry["response_time_ms"] = job.last->duration_ms;
      if (!job.last->succeeded) entry["error_message"] = job.last->message;
    }
    if (job.status(now_us) == "degraded" && job.last_success)
      entry["error_message"] = "the last success is " + std::to_string((now_us - job.last_success->started_at_unix_us) / 1'000'000) +
                               " s old; the limit is " + std::to_string(job.settings.overdue_after()) + " s";
    out["backup:" + job.settings.name] = std::move(entry);
  }
  return out;
}

void add_backup_routes(http::Router& router, backups::BackupJobs& jobs, const Clock& clock) {
  router.add("GET", "/backups", [&jobs, &clock](const http::Request&) {
    json out = json::array();
    for (const backups::BackupJobs::Job& job : jobs.jobs()) out.push_back(job_json(job, clock.now_unix_us()));
    return http::Response{200, "application/json", json{{"jobs", out}}.dump()};
  });
  // Runs on a worker and answers when the run ends: a backup may take a while.
  router.add("POST", "/backups/{job}/run", [&jobs](const http::Request& request) {
    const std::optional<BackupRun> run = jobs.run_now(request.params.at("job"));
    if (!run) return http::error(request, 404, "not_found", "no backup job \"" + request.params.at("job") + "\" in this deployment");
    return http::Response{run->succeeded ? 200 : 500, "application/json", run_json(*run).dump()};
  });
}

}  // namespace hub
