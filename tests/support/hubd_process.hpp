// hubd as a child process, for tests that kill it the hard way.
#pragma once

#include "support/free_port.hpp"

#include <hub/http_call.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace hub::testing {

class HubdProcess {
 public:
  // Writes `yaml` (which must listen on `port`) to `config` and starts hubd on it; waits for /health.
  // `descriptor_limit`, when not 0, is the child's soft and hard RLIMIT_NOFILE.
  HubdProcess(const std::filesystem::path& config, const std::string& yaml, uint16_t port, rlim_t descriptor_limit = 0)
      : url_("http://127.0.0.1:" + std::to_string(port)) {
    std::ofstream(config) << yaml;
    pid_ = ::fork();
    if (pid_ == 0) {
      const rlimit limit{descriptor_limit, descriptor_limit};
      if (descriptor_limit && ::setrlimit(RLIMIT_NOFILE, &limit) != 0) std::_Exit(126);
      ::execl(HUB_HUBD_PATH, "hubd", "--config", config.c_str(), static_cast<char*>(nullptr));
      std::_Exit(127);
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::chrono::steady_clock::now() < deadline) {
      try {
        if (http_call("GET", url_ + "/health").status == 200) return;
      } catch (const std::exception&) {
      }
      int status;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) throw std::runtime_error("hubd exited at start; see its log above");
      std::this_thread::sleep_for(std::chrono::milliseconds(20));  // polling a starting process; bounded by the deadline
    }
    kill();
    throw std::runtime_error("hubd did not answer /health within 20 s");
  }
  ~HubdProcess() { kill(); }
  HubdProcess(const HubdProcess&) = delete;
  HubdProcess& operator=(const HubdProcess&) = delete;

  const std::string& url() const { return url_; }
  // The most writes one group commit has carried so far, from /metrics: 1 when every write was its own transaction.
  int largest_write_group() const {
    const std::string text = http_call("GET", url_ + "/metrics").body;
    const std::string name = "\nhub_storage_largest_write_group ";
    const size_t at = text.find(name);
    return at == std::string::npos ? 0 : std::stoi(text.substr(at + name.size()));
  }
  // SIGKILL: no flush, no clean stop.
  void kill() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    int status;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
  }

 private:
  std::string url_;
  pid_t pid_ = -1;
};

// Streams writes into `hubd` from `writers` threads at once, so they are committed in groups:
// each thread calls write(writer, n) for n = 0, 1, … until it returns false or throws (the hub is
// gone). Once `acknowledged` writes succeeded in all (or 30 s passed), kills hubd with SIGKILL
// mid-stream and returns the largest group it had committed.
inline int stream_writes_then_kill(HubdProcess& hubd, int writers, int acknowledged, const std::function<bool(int, int)>& write) {
  std::atomic<int> acks{0};
  std::vector<std::thread> threads;
  for (int writer = 0; writer < writers; ++writer)
    threads.emplace_back([&, writer] {
      try {
        for (int n = 0; write(writer, n); ++n) ++acks;
      } catch (const std::exception&) {  // the hub is gone
      }
    });
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (acks < acknowledged && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
  const int grouped = hubd.largest_write_group();
  hubd.kill();
  for (std::thread& thread : threads) thread.join();
  return grouped;
}

}  // namespace hub::testing
