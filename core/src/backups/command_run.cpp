#include "command_run.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace hub::backups {

namespace {

constexpr size_t kKeptErrorOutput = 4096;

// The child: only async-signal-safe calls between fork and exec.
[[noreturn]] void become(const char* command, int out, int err) {
  setpgid(0, 0);
  const int none = open("/dev/null", O_RDONLY);
  if (none >= 0) dup2(none, 0);
  dup2(out, 1);
  dup2(err, 2);
  execl("/bin/sh", "sh", "-c", command, static_cast<char*>(nullptr));
  _exit(127);
}

}  // namespace

CommandResult run_command(const std::string& command, const std::filesystem::path& output, std::chrono::seconds timeout,
                          const std::atomic<bool>& stopping) {
  CommandResult result;
  const int out = open(output.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (out < 0) {
    result.problem = "cannot write " + output.string() + ": " + std::strerror(errno);
    return result;
  }
  int err[2];
  if (pipe2(err, O_CLOEXEC) != 0) {
    close(out);
    result.problem = std::string("pipe: ") + std::strerror(errno);
    return result;
  }
  const pid_t pid = fork();
  if (pid == 0) become(command.c_str(), out, err[1]);
  close(out);
  close(err[1]);
  if (pid < 0) {
    close(err[0]);
    result.problem = std::string("fork: ") + std::strerror(errno);
    return result;
  }
  setpgid(pid, pid);  // as the child does: whichever runs first, the group exists before a kill
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  int status = 0;
  bool open_pipe = true;
  while (true) {
    if (open_pipe) {
      pollfd ready{err[0], POLLIN, 0};
      if (poll(&ready, 1, 100) > 0) {
        char buffer[1024];
        const ssize_t got = read(err[0], buffer, sizeof buffer);
        if (got <= 0)
          open_pipe = false;
        else if (result.error_output.size() < kKeptErrorOutput)
          result.error_output.append(buffer, std::min<size_t>(static_cast<size_t>(got), kKeptErrorOutput - result.error_output.size()));
      }
    } else {
      usleep(100'000);  // the command closed its standard error and runs on: look again soon
    }
    if (waitpid(pid, &status, WNOHANG) == pid) break;
    const bool late = std::chrono::steady_clock::now() >= deadline;
    if (late || stopping.load()) {
      kill(-pid, SIGKILL);
      waitpid(pid, &status, 0);
      result.timed_out = late;
      result.stopped = !late;
      break;
    }
  }
  close(err[0]);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
  return result;
}

}  // namespace hub::backups
