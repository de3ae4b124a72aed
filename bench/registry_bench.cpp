// Registry benchmark: starts hubd (SQLite storage, the embedded default) as a
// child process, registers 10,000 instances, then measures with plain
// keep-alive HTTP/1.1 connections from one event loop in this process:
//   - GET /discover/{name} at 1 and 32 connections: requests/s, p50, p99
//   - GET /services/{name} at 32 connections
//   - POST /heartbeat at 32 connections: heartbeats/s
//   - hubd's resident memory with the 10,000 instances
//
//   build/bench/registry_bench [seconds-per-phase]
#include "http_connection.hpp"
#include "hubd_child.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;
constexpr int kServices = 1000;
constexpr int kInstancesPerService = 10;

std::string service_name(int i) {
  return "service-" + std::to_string(i);
}
std::string instance_body(int service, int instance) {
  return R"({"service_name": ")" + service_name(service) + R"(", "host": "10.)" + std::to_string(service / 250) + "." +
         std::to_string(service % 250) + "." + std::to_string(instance) + R"(", "port": 8000, "version": "1.0.0", "tags": ["bench"],)" +
         R"( "dependencies": ["central-hub"], "metadata": {"zone": "a"}})";
}

struct Result {
  double per_second = 0, p50_ms = 0, p99_ms = 0;
  size_t errors = 0;
};

// `connections` keep-alive connections, driven by one event loop as wrk does
// (a thread per connection would measure the load generator's scheduling on
// these 2 cores more than the hub), each sending make_request(connection, n)
// back to back for `seconds`. Latency is from the send to the last byte of the answer.
Result run(uint16_t port, int connections, double seconds, const std::function<std::string(int, uint64_t)>& make_request) {
  struct Link {
    std::unique_ptr<Connection> connection;
    uint64_t sent = 0;
    Clock::time_point started;
  };
  const int poll = ::epoll_create1(0);
  std::vector<Link> links(static_cast<size_t>(connections));
  std::vector<float> latencies;
  size_t errors = 0;
  const auto start = Clock::now();
  const auto until = start + std::chrono::duration<double>(seconds);
  auto send_next = [&](int c) {
    Link& link = links[static_cast<size_t>(c)];
    link.started = Clock::now();
    link.connection->send(make_request(c, link.sent++));
  };
  for (int c = 0; c < connections; ++c) {
    links[static_cast<size_t>(c)].connection = std::make_unique<Connection>(port);
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.u32 = static_cast<uint32_t>(c);
    ::epoll_ctl(poll, EPOLL_CTL_ADD, links[static_cast<size_t>(c)].connection->fd(), &event);
    send_next(c);
  }
  int in_flight = connections;
  epoll_event ready[64];
  while (in_flight > 0) {
    const int n = ::epoll_wait(poll, ready, 64, 1000);
    for (int i = 0; i < n; ++i) {
      const int c = static_cast<int>(ready[i].data.u32);
      Link& link = links[static_cast<size_t>(c)];
      const int status = link.connection->receive();
      if (status == 0) continue;  // the answer is not whole yet
      const auto now = Clock::now();
      latencies.push_back(std::chrono::duration<float, std::milli>(now - link.started).count());
      if (status >= 400) ++errors;
      if (now < until)
        send_next(c);
      else
        --in_flight;
    }
  }
  ::close(poll);
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  std::sort(latencies.begin(), latencies.end());
  Result result;
  result.per_second = static_cast<double>(latencies.size()) / elapsed;
  result.p50_ms = latencies.empty() ? 0 : latencies[latencies.size() / 2];
  result.p99_ms = latencies.empty() ? 0 : latencies[latencies.size() * 99 / 100];
  result.errors = errors;
  return result;
}

void print(const char* what, int connections, const Result& result, const char* unit = "requests") {
  std::printf("%-34s %2d conn  %9.0f %s/s  p50 %6.3f ms  p99 %6.3f ms  errors %zu\n", what, connections, result.per_second, unit,
              result.p50_ms, result.p99_ms, result.errors);
}

}  // namespace

int main(int argc, char** argv) {
  const double seconds = argc > 1 ? std::stod(argv[1]) : 5;
  const int io_threads = argc > 2 ? std::stoi(argv[2]) : 0;  // 0: the hub's default, one per core
  const std::filesystem::path scratch = std::filesystem::temp_directory_path() / ("hub-bench-" + std::to_string(::getpid()));
  const uint16_t port = static_cast<uint16_t>(20000 + ::getpid() % 20000);
  const pid_t hubd = start_hubd(scratch, port,
                                "storage: {backend: sqlite, sqlite: {path: " + (scratch / "hub.db").string() +
                                    "}}\nlogging: {level: warn}\nhttp: {io_threads: " + std::to_string(io_threads) +
                                    "}\nplugins:\n  search_paths: [" HUB_PLUGIN_DIR
                                    "]\n  libraries:\n"
                                    "    - library: discovery\n      enable: [{implementation: liveness}]\n");
  if (hubd < 0) return 1;
  const long idle_kib = resident_kib(hubd);
  std::printf("hubd pid %d, SQLite storage, %d services x %d instances, %.0f s per phase, %u cores\n", hubd, kServices,
              kInstancesPerService, seconds, std::thread::hardware_concurrency());

  // Registrations: each is committed to SQLite before the answer.
  std::atomic<int> next{0};
  const auto registering = Clock::now();
  std::vector<std::thread> registrars;
  std::atomic<int> failures{0};
  for (int t = 0; t < 8; ++t)
    registrars.emplace_back([&] {
      Connection connection(port);
      for (int i; (i = next++) < kServices * kInstancesPerService;)
        if (connection.exchange(json_request("POST", "/register", instance_body(i / kInstancesPerService, i % kInstancesPerService))) !=
            201)
          ++failures;
    });
  for (auto& thread : registrars) thread.join();
  const double register_seconds = std::chrono::duration<double>(Clock::now() - registering).count();
  std::printf("%-34s  8 conn  %9.0f registrations/s (%d in %.2f s, failures %d)\n", "POST /register (durable)",
              kServices * kInstancesPerService / register_seconds, kServices * kInstancesPerService, register_seconds, failures.load());
  std::printf("%-34s %ld MiB resident (%ld MiB before registering)\n", "hubd memory, 10,000 instances", resident_kib(hubd) / 1024,
              idle_kib / 1024);

  auto random_service = [](int connection, uint64_t n) {
    return static_cast<int>((n * 7919 + static_cast<uint64_t>(connection) * 104729) % kServices);
  };
  auto discover = [&](int c, uint64_t n) { return get_request("/discover/" + service_name(random_service(c, n))); };
  print("GET /discover/{name}", 1, run(port, 1, seconds, discover));
  print("GET /discover/{name}", 32, run(port, 32, seconds, discover));
  print("GET /services/{name}", 32,
        run(port, 32, seconds, [&](int c, uint64_t n) { return get_request("/services/" + service_name(random_service(c, n))); }));
  print("POST /heartbeat", 32,
        run(port, 32, seconds,
            [&](int c, uint64_t n) {
              const int i = static_cast<int>((n * 32 + static_cast<uint64_t>(c)) % (kServices * kInstancesPerService));
              const int service = i / kInstancesPerService, instance = i % kInstancesPerService;
              return json_request("POST", "/heartbeat",
                                  R"({"service_name": ")" + service_name(service) + R"(", "instance_id": "10.)" +
                                      std::to_string(service / 250) + "." + std::to_string(service % 250) + "." + std::to_string(instance) +
                                      R"(:8000", "metrics": {"cpu": 0.4}})");
            }),
        "heartbeats");
  std::printf("%-34s %ld MiB resident\n", "hubd memory at the end", resident_kib(hubd) / 1024);

  ::kill(hubd, SIGTERM);
  int status = 0;
  ::waitpid(hubd, &status, 0);
  std::filesystem::remove_all(scratch);
  return 0;
}
