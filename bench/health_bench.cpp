// Health-check benchmark: starts hubd (SQLite, the embedded default) as a child
// process with health monitoring every 10 s and the http probe, registers
// 1,000 instances whose health endpoints this process serves, and measures
// over a window once every instance has been checked:
//   - hubd's CPU (utime + stime from /proc) and resident memory
//   - how late checks run against their schedule, seen two ways: the hub's own
//     figure (GET /health/scheduler) and, at the targets, the gaps between one
//     target's consecutive checks compared with the 10 s interval
// The first `hanging` targets accept the connection and never answer, so each
// of their checks runs into the 2 s timeout. With `process`, the probes'
// library runs out of process (isolation: process), and the plugin host's CPU
// and memory are measured beside hubd's.
//
//   build/bench/health_bench [seconds] [targets] [hanging] [in_process|process]
#include "http_connection.hpp"
#include "hubd_child.hpp"
#include "percentile.hpp"

#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <sys/epoll.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;
constexpr int kIntervalSeconds = 10;
constexpr int kInstancesPerService = 10;

// Serves GET /health/N on one loopback port from one event loop, and notes when each N was asked.
class TargetServer {
 public:
  TargetServer(int targets, int hanging) : arrivals_(static_cast<size_t>(targets)), hanging_(hanging) {
    listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (::bind(listener_, reinterpret_cast<sockaddr*>(&address), length) != 0 || ::listen(listener_, 1024) != 0)
      throw std::runtime_error("cannot listen on loopback");
    ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
    poll_ = ::epoll_create1(0);
    watch(listener_);
    loop_ = std::thread([this] { run(); });
  }
  ~TargetServer() {
    stopping_ = true;
    loop_.join();
    for (auto& [fd, request] : open_) ::close(fd);
    ::close(listener_);
    ::close(poll_);
  }

  uint16_t port() const { return port_; }

  std::vector<std::vector<Clock::time_point>> arrivals() const {
    std::lock_guard lock(mutex_);
    return arrivals_;
  }

  int targets_asked() const {
    std::lock_guard lock(mutex_);
    return static_cast<int>(std::count_if(arrivals_.begin(), arrivals_.end(), [](const auto& times) { return !times.empty(); }));
  }

 private:
  void watch(int fd) {
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.fd = fd;
    ::epoll_ctl(poll_, EPOLL_CTL_ADD, fd, &event);
  }

  void run() {
    epoll_event ready[64];
    while (!stopping_) {
      const int n = ::epoll_wait(poll_, ready, 64, 100);
      for (int i = 0; i < n; ++i) {
        const int fd = ready[i].data.fd;
        if (fd == listener_) {
          for (int client; (client = ::accept4(listener_, nullptr, nullptr, SOCK_NONBLOCK)) >= 0;) {
            open_[client];
            watch(client);
          }
        } else {
          serve(fd);
        }
      }
    }
  }

  void serve(int fd) {
    char chunk[4096];
    const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
    std::string& request = open_[fd];
    if (n <= 0) return close(fd);
    request.append(chunk, static_cast<size_t>(n));
    if (request.find("\r\n\r\n") == std::string::npos) return;
    const size_t path_at = request.find("GET /health/");
    const int target = path_at == std::string::npos ? -1 : std::atoi(request.c_str() + path_at + 12);
    if (target < 0 || target >= static_cast<int>(arrivals_.size())) return close(fd);
    {
      std::lock_guard lock(mutex_);
      arrivals_[static_cast<size_t>(target)].push_back(Clock::now());
    }
    request.clear();
    if (target < hanging_) return;  // keeps the connection and never answers: the prober times out and closes it
    static const std::string answer =
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 21\r\nConnection: close\r\n\r\n{\"status\": \"healthy\"}";
    ::send(fd, answer.data(), answer.size(), MSG_NOSIGNAL);
    close(fd);
  }

  void close(int fd) {
    ::epoll_ctl(poll_, EPOLL_CTL_DEL, fd, nullptr);
    ::close(fd);
    open_.erase(fd);
  }

  int listener_ = -1;
  int poll_ = -1;
  uint16_t port_ = 0;
  std::map<int, std::string> open_;  // touched by the loop thread only
  mutable std::mutex mutex_;
  std::vector<std::vector<Clock::time_point>> arrivals_;
  const int hanging_;
  std::atomic<bool> stopping_{false};
  std::thread loop_;
};

nlohmann::json get_json(Connection& hub, const std::string& path) {
  if (hub.exchange(get_request(path)) != 200) throw std::runtime_error("GET " + path + " failed");
  return nlohmann::json::parse(hub.body());
}

double cpu_seconds(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  // Fields after the command name, which sits in parentheses and may hold spaces: utime and stime are the 12th and 13th.
  std::istringstream fields(text.substr(text.rfind(')') + 2));
  std::string field;
  long ticks = 0;
  for (int index = 1; index <= 13 && fields >> field; ++index)
    if (index >= 12) ticks += std::stol(field);
  return static_cast<double>(ticks) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

// The processes whose parent is `pid`: hubd's plugin hosts.
std::vector<pid_t> children_of(pid_t pid) {
  std::vector<pid_t> children;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string name = entry.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream stat(entry.path() / "stat");
    std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
    const size_t after_name = text.rfind(')');
    if (after_name == std::string::npos) continue;
    std::istringstream fields(text.substr(after_name + 2));
    std::string state;
    pid_t parent = 0;
    if (fields >> state >> parent && parent == pid) children.push_back(std::stoi(name));
  }
  return children;
}

std::string hubd_yaml(const std::filesystem::path& scratch, bool isolated) {
  return "storage: {backend: sqlite, sqlite: {path: " + (scratch / "hub.db").string() +
         "}}\n"
         "logging: {level: error}\n"
         "http: {io_threads: 1}\n"
         "health_monitoring: {check_interval_seconds: " +
         std::to_string(kIntervalSeconds) +
         ", timeout_ms: 2000, service_probe: http}\n"
         "plugins:\n"
         "  search_paths: [" HUB_PLUGIN_DIR
         "]\n"
         "  libraries:\n"
         "    - {library: health-probe, isolation: " +
         std::string(isolated ? "process" : "in_process") +
         ", enable: [{implementation: http}]}\n"
         "    - {library: discovery, enable: [{implementation: liveness, config: {service_timeout_seconds: 3600}}]}\n";
}

bool register_targets(Connection& hub, uint16_t target_port, int targets) {
  for (int i = 0; i < targets; ++i) {
    const std::string body = R"({"service_name": "service-)" + std::to_string(i / kInstancesPerService) + R"(", "instance_id": "i-)" +
                             std::to_string(i) + R"(", "host": "127.0.0.1", "port": )" + std::to_string(target_port) +
                             R"(, "health_endpoint": "/health/)" + std::to_string(i) + R"(", "version": "1.0.0"})";
    if (hub.exchange(json_request("POST", "/register", body)) != 201) {
      std::fprintf(stderr, "registering target %d failed: %s\n", i, hub.body().c_str());
      return false;
    }
  }
  return true;
}

// Gaps between one target's consecutive checks that end inside [from, to], minus the interval, in ms.
std::vector<double> gap_excess_ms(const std::vector<std::vector<Clock::time_point>>& arrivals, Clock::time_point from,
                                  Clock::time_point to) {
  std::vector<double> excess;
  for (const auto& times : arrivals)
    for (size_t i = 1; i < times.size(); ++i)
      if (times[i] >= from && times[i] <= to)
        excess.push_back(std::chrono::duration<double, std::milli>(times[i] - times[i - 1]).count() - kIntervalSeconds * 1000.0);
  return excess;
}

void print_statuses(Connection& hub) {
  std::map<std::string, int> services_by_status;
  const nlohmann::json services = get_json(hub, "/health/services");
  for (const auto& [name, service] : services.items()) ++services_by_status[service["status"].get<std::string>()];
  std::printf("services by status (GET /health/services):");
  for (const auto& [status, count] : services_by_status) std::printf(" %s %d", status.c_str(), count);
  std::printf("\n");
}

}  // namespace

int main(int argc, char** argv) {
  const int seconds = argc > 1 ? std::stoi(argv[1]) : 60;
  const int targets = argc > 2 ? std::stoi(argv[2]) : 1000;
  const int hanging = argc > 3 ? std::stoi(argv[3]) : 0;
  const bool isolated = argc > 4 && std::string(argv[4]) == "process";
  TargetServer server(targets, hanging);
  const std::filesystem::path scratch = std::filesystem::temp_directory_path() / ("hub-health-bench-" + std::to_string(::getpid()));
  const uint16_t port = static_cast<uint16_t>(20000 + (::getpid() + 11) % 20000);
  const pid_t hubd = start_hubd(scratch, port, hubd_yaml(scratch, isolated));
  if (hubd < 0) return 1;
  std::printf("hubd pid %d, SQLite storage, %d targets every %d s (%d never answer, timeout 2 s), window %d s, %u cores, probes %s\n", hubd,
              targets, kIntervalSeconds, hanging, seconds, std::thread::hardware_concurrency(),
              isolated ? "in a plugin host (isolation: process)" : "in process");
  std::fflush(stdout);
  Connection hub(port);
  const long idle_kib = resident_kib(hubd);
  if (!register_targets(hub, server.port(), targets)) {
    stop_hubd(hubd);
    return 1;
  }

  // New instances spread their first check over the first interval; measure once every target has had one.
  const auto warm_deadline = Clock::now() + std::chrono::seconds(3 * kIntervalSeconds);
  while (server.targets_asked() < targets && Clock::now() < warm_deadline) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  if (server.targets_asked() < targets) {
    std::fprintf(stderr, "only %d of %d targets were checked within %d s\n", server.targets_asked(), targets, 3 * kIntervalSeconds);
    stop_hubd(hubd);
    return 1;
  }

  const std::vector<pid_t> hosts = children_of(hubd);
  const auto hosts_cpu = [&] {
    double total = 0;
    for (pid_t host : hosts) total += cpu_seconds(host);
    return total;
  };
  const auto from = Clock::now();
  const double cpu_from = cpu_seconds(hubd);
  const double hosts_cpu_from = hosts_cpu();
  const uint64_t checks_from = get_json(hub, "/health/scheduler")["checks"];
  long peak_kib = 0;
  for (auto tick = from; tick < from + std::chrono::seconds(seconds);) {
    tick += std::chrono::seconds(1);
    std::this_thread::sleep_until(tick);  // the measurement window itself, sampling memory each second
    peak_kib = std::max(peak_kib, resident_kib(hubd));
  }
  const auto to = Clock::now();
  const double cpu = cpu_seconds(hubd) - cpu_from;
  const double host_cpu = hosts_cpu() - hosts_cpu_from;
  const nlohmann::json scheduler = get_json(hub, "/health/scheduler");
  const double wall = std::chrono::duration<double>(to - from).count();
  const auto checks = static_cast<double>(scheduler["checks"].get<uint64_t>() - checks_from);

  std::printf("checks run: %.0f in %.1f s (%.1f/s; expected %.1f/s)\n", checks, wall, checks / wall,
              static_cast<double>(targets) / kIntervalSeconds);
  std::printf("hubd CPU: %.2f s in %.1f s = %.1f%% of one core, %.0f us per check\n", cpu, wall, 100 * cpu / wall, 1e6 * cpu / checks);
  std::printf("hubd resident memory: %ld MiB before registering, %ld MiB peak in the window\n", idle_kib / 1024, peak_kib / 1024);
  if (isolated) {
    long host_kib = 0;
    for (pid_t host : hosts) host_kib += resident_kib(host);
    std::printf("plugin host (%zu process): CPU %.2f s = %.1f%% of one core, %.0f us per check; resident memory %ld MiB\n", hosts.size(),
                host_cpu, 100 * host_cpu / wall, 1e6 * host_cpu / checks, host_kib / 1024);
    std::printf("hubd and plugin host together: %.0f us per check\n", 1e6 * (cpu + host_cpu) / checks);
  }
  const nlohmann::json& lateness = scheduler["lateness_ms"];
  std::printf("lateness against the schedule (hub, GET /health/scheduler, newest 10,000 checks): p50 %.2f ms, p99 %.2f ms, max %.2f ms\n",
              lateness["p50"].get<double>(), lateness["p99"].get<double>(), lateness["max"].get<double>());
  const std::vector<double> excess = gap_excess_ms(server.arrivals(), from, to);
  std::printf("gap between a target's checks minus %d s (at the targets, %zu gaps): p50 %.2f ms, p99 %.2f ms, max %.2f ms, min %.2f ms\n",
              kIntervalSeconds, excess.size(), percentile(excess, 0.5), percentile(excess, 0.99), percentile(excess, 1.0),
              percentile(excess, 0.0));
  std::printf("in flight at the end: %d, stuck threads: %d\n", scheduler["in_flight"].get<int>(), scheduler["stuck_threads"].get<int>());
  print_statuses(hub);
  std::fflush(stdout);
  stop_hubd(hubd);
  std::filesystem::remove_all(scratch);
  return 0;
}
