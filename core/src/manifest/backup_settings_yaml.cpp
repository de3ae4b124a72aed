#include "backup_settings_yaml.hpp"

#include <set>

namespace hub {

BackupSettings read_backups(yaml::MapReader& top) {
  yaml::MapReader section(top.source(), top.node("backups"), "backups");
  BackupSettings settings;
  const YAML::Node jobs = section.node("jobs");
  if (jobs.IsDefined() && !jobs.IsNull() && !jobs.IsSequence()) section.fail_at("jobs", "must be a list of jobs");
  std::set<std::string> names;
  for (size_t i = 0; jobs.IsDefined() && jobs.IsSequence() && i < jobs.size(); ++i) {
    const std::string path = section.path("jobs") + "[" + std::to_string(i) + "]";
    yaml::MapReader entry(top.source(), jobs[i], path);
    BackupJobSettings job;
    job.where = yaml::where(top.source(), jobs[i]);
    job.name = entry.required_string("name");
    job.snapshot = entry.boolean("snapshot", false);
    job.command = entry.string("command", "");
    job.output = entry.required_string("output");
    job.interval_seconds = static_cast<int>(entry.integer("interval_seconds", job.interval_seconds, 1, 366 * 86'400));
    job.timeout_seconds = static_cast<int>(entry.integer("timeout_seconds", job.timeout_seconds, 1, 7 * 86'400));
    job.keep = static_cast<int>(entry.integer("keep", job.keep, 1, 100'000));
    job.max_age_seconds = static_cast<int>(entry.integer("max_age_seconds", 0, 0, 366 * 86'400));
    if (job.snapshot == !job.command.empty())
      entry.fail_at(job.snapshot ? "command" : "snapshot", "give a command, or snapshot: true for the hub's own snapshot (not both)");
    if (!names.insert(job.name).second) entry.fail_at("name", "'" + job.name + "' names a job above already");
    entry.finish();
    settings.jobs.push_back(std::move(job));
  }
  section.finish();
  return settings;
}

}  // namespace hub
