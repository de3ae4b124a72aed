// Runs one backup command: /bin/sh -c COMMAND in a process group of its own, its standard output
// into a file, its standard error kept (the first 4 KiB) for the record, killed whole at its
// deadline or when the hub stops.
#pragma once

#include <atomic>
#include <chrono>
#include <filesystem>
#include <string>

namespace hub::backups {

struct CommandResult {
  int exit_code = -1;  // the command's, or 128 + the signal that ended it
  bool timed_out = false;
  bool stopped = false;  // the hub stopped first
  std::string error_output;
  std::string problem;  // the command could not start: why
};

CommandResult run_command(const std::string& command, const std::filesystem::path& output, std::chrono::seconds timeout,
                          const std::atomic<bool>& stopping);

}  // namespace hub::backups
