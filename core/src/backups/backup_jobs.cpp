#include "backup_jobs.hpp"

#include "command_run.hpp"
#include "snapshot.hpp"

#include "basics/json_text.hpp"
#include "basics/printable_text.hpp"

#include <pthread.h>

#include <algorithm>
#include <ctime>
#include <filesystem>
#include <fstream>

namespace hub::backups {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kTime = "{time}";
constexpr int64_t kLeaseRecheckUs = 2'000'000;  // how often a hub without the backups lease asks again

std::string compact_utc(int64_t unix_us) {
  const time_t seconds = static_cast<time_t>(unix_us / 1'000'000);
  tm parts{};
  gmtime_r(&seconds, &parts);
  char text[24];
  std::strftime(text, sizeof text, "%Y%m%dT%H%M%SZ", &parts);
  return text;
}

}  // namespace

std::string output_for(const std::string& pattern, int64_t at_unix_us) {
  const size_t at = pattern.find(kTime);
  if (at == std::string::npos) return pattern;
  return pattern.substr(0, at) + compact_utc(at_unix_us) + pattern.substr(at + kTime.size());
}

std::string BackupJobs::Job::status(int64_t now_unix_us) const {
  if (last_success)
    return now_unix_us - last_success->started_at_unix_us > int64_t{settings.overdue_after()} * 1'000'000 ? "degraded" : "healthy";
  return last ? "degraded" : "unknown";
}

BackupJobs::BackupJobs(Parts parts, BackupSettings settings) : parts_(std::move(parts)), settings_(std::move(settings)) {
  for (const BackupJobSettings& job : settings_.jobs) jobs_[job.name].settings = job;
}

BackupJobs::~BackupJobs() {
  stop();
}

void BackupJobs::restore() {
  const std::vector<BackupRun> runs = parts_.runs.load_backup_runs(1000);
  std::lock_guard lock(mutex_);
  // Newest first within a job. Runs another hub recorded since may be newer than this hub's.
  const auto newer = [](const std::optional<BackupRun>& known, const BackupRun& run) {
    return !known || run.started_at_unix_us > known->started_at_unix_us;
  };
  for (const BackupRun& run : runs) {
    auto job = jobs_.find(run.job);
    if (job == jobs_.end()) continue;
    if (newer(job->second.last, run)) job->second.last = run;
    if (run.succeeded && newer(job->second.last_success, run)) job->second.last_success = run;
  }
  for (auto& [name, job] : jobs_)
    job.next_at_unix_us = job.last ? job.last->started_at_unix_us + int64_t{job.settings.interval_seconds} * 1'000'000 : 0;
}

void BackupJobs::start() {
  if (thread_.joinable() || jobs_.empty()) return;
  stopping_ = false;
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "hub-backups");
    loop();
  });
}

void BackupJobs::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void BackupJobs::loop() {
  std::unique_lock lock(mutex_);
  int64_t lease_asked_us = 0;  // when another hub held the lease; 0: not since this hub last ran a job
  while (!stopping_) {
    const int64_t now_us = parts_.clock->now_unix_us();
    const Job* due = nullptr;
    int64_t next_us = INT64_MAX;
    for (const auto& [name, job] : jobs_) {
      if (job.next_at_unix_us <= now_us && !due) due = &job;
      next_us = std::min(next_us, job.next_at_unix_us);
    }
    if (due && lease_asked_us && now_us - lease_asked_us < kLeaseRecheckUs) {
      next_us = lease_asked_us + kLeaseRecheckUs;
      due = nullptr;
    }
    if (!due) {
      wake_.wait_for(lock, std::chrono::microseconds(std::clamp<int64_t>(next_us - now_us, 1000, 60'000'000)));
      continue;
    }
    const BackupJobSettings settings = due->settings;
    lock.unlock();
    if (!parts_.leads || leads_and_refresh()) {
      lease_asked_us = 0;
      lock.lock();
      // The hub that held the lease before may have run it since this one last read the runs.
      if (jobs_.at(settings.name).next_at_unix_us > parts_.clock->now_unix_us()) continue;
      lock.unlock();
      run(settings);
    } else {
      lease_asked_us = now_us;
    }
    lock.lock();
  }
}

// With several hubs, the one holding the lease runs the jobs, from the runs as stored: when the
// leading hub dies, the next takes the lease and runs what is due, no job twice.
bool BackupJobs::leads_and_refresh() {
  try {
    if (!parts_.leads()) return false;
    restore();
    return true;
  } catch (const std::exception& error) {
    parts_.logger->warn("scheduled backups wait: cannot tell which hub runs them: {}", error.what());
    return false;
  }
}

std::optional<BackupRun> BackupJobs::run_now(const std::string& name) {
  std::optional<BackupJobSettings> settings;
  {
    std::lock_guard lock(mutex_);
    if (auto job = jobs_.find(name); job != jobs_.end()) settings = job->second.settings;
  }
  if (!settings) return std::nullopt;
  return run(*settings);
}

std::vector<BackupJobs::Job> BackupJobs::jobs() const {
  std::lock_guard lock(mutex_);
  std::vector<Job> all;
  for (const auto& [name, job] : jobs_) all.push_back(job);
  return all;
}

BackupRun BackupJobs::run(const BackupJobSettings& job) {
  std::lock_guard one(run_mutex_);
  BackupRun run;
  run.job = job.name;
  run.started_at_unix_us = parts_.clock->now_unix_us();
  run.output = output_for(job.output, run.started_at_unix_us);
  const std::string partial = run.output + ".partial";
  const auto started = std::chrono::steady_clock::now();
  std::error_code ignored;
  fs::create_directories(fs::path(run.output).parent_path(), ignored);
  if (job.snapshot)
    run_snapshot_job(partial, run);
  else
    run_command_job(job, partial, run);
  run.duration_ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
  if (run.succeeded) {
    fs::rename(partial, run.output, ignored);
    run.size_bytes = static_cast<int64_t>(fs::file_size(run.output, ignored));
    if (ignored) {
      run.succeeded = false;
      run.message = "the output " + run.output + " is not there after the run: " + ignored.message();
    }
  } else {
    fs::remove(partial, ignored);
  }
  finish(job, run);
  return run;
}

void BackupJobs::run_command_job(const BackupJobSettings& job, const std::string& partial, BackupRun& run) {
  const CommandResult result = run_command(job.command, partial, std::chrono::seconds(job.timeout_seconds), stopping_);
  run.exit_code = result.exit_code;
  const std::string errors = printable_text(result.error_output, 1000);
  if (!result.problem.empty()) {
    run.message = result.problem;
  } else if (result.timed_out) {
    run.message = "killed after its timeout of " + std::to_string(job.timeout_seconds) + " s" + (errors.empty() ? "" : ": " + errors);
  } else if (result.stopped) {
    run.message = "killed: the hub stopped";
  } else if (result.exit_code != 0) {
    run.message = "exited with " + std::to_string(result.exit_code) + (errors.empty() ? "" : ": " + errors);
  } else {
    run.succeeded = true;
    run.message = errors;
  }
}

// The hub's own snapshot, verified by a restore into memory before it counts.
void BackupJobs::run_snapshot_job(const std::string& partial, BackupRun& run) {
  try {
    const std::string bytes = write_snapshot(parts_.state.export_state(), run.started_at_unix_us, parts_.hub_version);
    const SnapshotInfo info = verify_snapshot(bytes);
    std::ofstream out(partial, std::ios::binary | std::ios::trunc);
    out << bytes;
    out.flush();
    if (!out) throw std::runtime_error("cannot write " + partial);
    run.exit_code = 0;
    run.succeeded = true;
    run.message = "verified: " + std::to_string(info.instances) + " instance(s), " + std::to_string(info.config_versions) +
                  " config version(s), sha256 " + info.sha256;
  } catch (const std::exception& error) {
    run.exit_code = 1;
    run.message = error.what();
  }
}

void BackupJobs::finish(const BackupJobSettings& job, BackupRun run) {
  try {
    parts_.runs.save_backup_run(run);
  } catch (const std::exception& error) {
    parts_.logger->warn("backup job {}: its run was not recorded in storage: {}", job.name, error.what());
  }
  if (run.succeeded) prune(job);
  {
    std::lock_guard lock(mutex_);
    Job& kept = jobs_[job.name];
    kept.last = run;
    if (run.succeeded) kept.last_success = run;
    kept.next_at_unix_us = run.started_at_unix_us + int64_t{job.interval_seconds} * 1'000'000;
  }
  const std::string message = "backup job " + job.name + (run.succeeded ? " wrote " + run.output : " failed: " + run.message);
  if (run.succeeded)
    parts_.logger->info("{} ({} bytes, {} ms)", message, run.size_bytes, run.duration_ms);
  else
    parts_.logger->error("{}", message);
  const std::string topic = run.succeeded ? "backup.succeeded" : "backup.failed";
  if (parts_.events.wanted(topic))
    parts_.events.publish({topic,
                           "{\"job\":" + json_quote(job.name) + ",\"output\":" + json_quote(run.output) +
                               ",\"size_bytes\":" + std::to_string(run.size_bytes) + ",\"duration_ms\":" + std::to_string(run.duration_ms) +
                               ",\"exit_code\":" + std::to_string(run.exit_code) + ",\"message\":" + json_quote(message) + "}",
                           parts_.clock->now_unix_us()});
}

// With "{time}" in its name each run has a file of its own: the newest `keep` stay.
void BackupJobs::prune(const BackupJobSettings& job) const {
  const fs::path pattern(job.output);
  const std::string name = pattern.filename().string();
  const size_t at = name.find(kTime);
  if (at == std::string::npos) return;
  const std::string prefix = name.substr(0, at), suffix = name.substr(at + kTime.size());
  std::vector<fs::path> outputs;
  std::error_code error;
  for (const fs::directory_entry& entry : fs::directory_iterator(pattern.parent_path(), error)) {
    const std::string file = entry.path().filename().string();
    if (file.size() == prefix.size() + 16 + suffix.size() && file.starts_with(prefix) && file.ends_with(suffix))
      outputs.push_back(entry.path());
  }
  std::sort(outputs.begin(), outputs.end());  // the time in the name sorts them oldest first
  for (size_t i = 0; i + static_cast<size_t>(job.keep) < outputs.size(); ++i) fs::remove(outputs[i], error);
}

}  // namespace hub::backups
