#include "exec_probe.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

extern char** environ;

namespace hub::probes {

namespace {

constexpr size_t kMaxOutputBytes = 4096;

class FileDescriptor {
 public:
  explicit FileDescriptor(int fd = -1) : fd_(fd) {}
  ~FileDescriptor() { reset(); }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  FileDescriptor(FileDescriptor&& other) noexcept : fd_(other.release()) {}
  void reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

// A child started in its own process group, its stdout and stderr on one pipe.
struct Child {
  pid_t pid = -1;
  FileDescriptor output;
  FileDescriptor exited;  // a pidfd: readable once the child has exited
};

Child spawn_shell(const std::string& shell, const std::string& command) {
  int pipe_ends[2];
  if (::pipe2(pipe_ends, O_CLOEXEC) != 0) throw ProbeFailure(std::string("pipe: ") + std::strerror(errno));
  FileDescriptor read_end(pipe_ends[0]), write_end(pipe_ends[1]);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, write_end.get(), STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, write_end.get(), STDERR_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  posix_spawnattr_setpgroup(&attributes, 0);
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attributes, &none);
  posix_spawnattr_setsigdefault(&attributes, &all);
  const char* argv[] = {shell.c_str(), "-c", command.c_str(), nullptr};
  Child child;
  const int failed = ::posix_spawn(&child.pid, shell.c_str(), &actions, &attributes, const_cast<char**>(argv), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  if (failed) throw ProbeFailure("start " + shell + ": " + std::strerror(failed));
  child.output.reset(read_end.release());
  child.exited.reset(static_cast<int>(::syscall(SYS_pidfd_open, child.pid, 0)));
  return child;
}

// Waits until `fd` is readable or the deadline passes; false on the deadline.
bool wait_readable(int fd, SteadyTime deadline) {
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
    if (left <= 0) return false;
    pollfd poller{fd, POLLIN, 0};
    const int ready = ::poll(&poller, 1, static_cast<int>(std::min<int64_t>(left, 60'000)) + 1);
    if (ready > 0) return true;
    if (ready < 0 && errno != EINTR) return false;
  }
}

std::string last_line(std::string output) {
  while (!output.empty() && (output.back() == '\n' || output.back() == '\r' || output.back() == ' ')) output.pop_back();
  const size_t start = output.find_last_of('\n');
  std::string line = start == std::string::npos ? output : output.substr(start + 1);
  return line.size() > 200 ? line.substr(0, 200) + "..." : line;
}

}  // namespace

ExecProbe::ExecProbe(const hub::Context& context) : host_(context.host), shell_(context.config.string("shell", "/bin/sh")) {
  if (::access(shell_.c_str(), X_OK) != 0) throw hub::Error(HUB_INVALID_ARGUMENT, "shell '" + shell_ + "' is not an executable file");
}

hub::ProbeResult ExecProbe::check(const hub::ProbeTarget& target, hub::Deadline deadline) {
  const std::string command(target.endpoint());
  return timed_check(host_, deadline, [&](SteadyTime until) {
    if (command.empty()) throw ProbeFailure("the target has no command (its endpoint is empty)");
    Child child = spawn_shell(shell_, command);
    std::string output;
    bool timed_out = false;
    while (!timed_out) {
      if (!wait_readable(child.output.get(), until)) {
        timed_out = true;
        break;
      }
      char chunk[1024];
      const ssize_t got = ::read(child.output.get(), chunk, sizeof chunk);
      if (got <= 0) break;  // every writer closed: the command is ending
      if (output.size() < kMaxOutputBytes) output.append(chunk, static_cast<size_t>(got));
    }
    // A command may close its output and keep running: the exit has the same deadline.
    if (!timed_out && child.exited.get() >= 0) timed_out = !wait_readable(child.exited.get(), until);
    if (timed_out) ::kill(-child.pid, SIGKILL);
    int status = 0;
    while (::waitpid(child.pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (timed_out) throw ProbeFailure("'" + command + "' did not finish before the deadline and was killed");
    const std::string message = last_line(output);
    if (WIFSIGNALED(status)) throw ProbeFailure("'" + command + "' was killed by signal " + std::to_string(WTERMSIG(status)));
    const int code = WEXITSTATUS(status);
    const std::string said = message.empty() ? "exit code " + std::to_string(code) : message;
    if (code == 0) return hub::ProbeResult::healthy(said);
    if (code == 1) return hub::ProbeResult::degraded(said);
    if (code == 2) throw ProbeFailure(said);
    throw ProbeFailure("'" + command + "' exited with code " + std::to_string(code) + (message.empty() ? "" : ": " + message));
  });
}

}  // namespace hub::probes
