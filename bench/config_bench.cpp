// Config watch benchmark: starts hubd (SQLite) as a child process, parks
// blocking watches (GET /config/{service}/watch) on keep-alive connections
// driven by one event loop, makes a change, and times the change's
// acknowledgement and the moment each watcher holds the new version.
//   Scenario 1: N watchers of one service; each round updates that service.
//   Scenario 2: N watchers spread over 100 services; each round updates the global config.
// Run for 1,000 and 10,000 watchers unless told otherwise, a fresh hubd for each.
//
//   build/bench/config_bench [rounds] [watchers ...]
#include "http_connection.hpp"
#include "hubd_child.hpp"
#include "percentile.hpp"

#include <nlohmann/json.hpp>

#include <sys/epoll.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

struct Watcher {
  std::unique_ptr<Connection> connection;
  std::string service;
  int64_t revision = 0;
};

std::string watch_request(const Watcher& watcher) {
  return get_request("/config/" + watcher.service + "/watch?index=" + std::to_string(watcher.revision) + "&wait=120");
}

std::string put_request(const std::string& path, int round) {
  const std::string body =
      R"({"config_data": {"operational": {"round": )" + std::to_string(round) + R"(, "symbols": ["EURUSD", "XAUUSD"]}}})";
  return json_request("PUT", path, body);
}

// The answer's "revision", read without a JSON parser: ten thousand parses would be the client's
// own share of the time it measures.
int64_t revision_in(const std::string& body) {
  const size_t at = body.find("\"revision\":");
  return at == std::string::npos ? -1 : std::strtoll(body.c_str() + at + 11, nullptr, 10);
}

// Waits until the hub reports `count` parked watches; false after 30 s.
bool wait_parked(Connection& control, size_t count) {
  const auto deadline = Clock::now() + std::chrono::seconds(30);
  while (Clock::now() < deadline) {
    control.exchange(get_request("/metrics"));
    const std::string& text = control.body();
    const size_t at = text.find("\nhub_config_watchers ");
    if (at != std::string::npos && std::stod(text.substr(at + 21)) >= static_cast<double>(count)) return true;
  }
  return false;
}

struct Figures {
  std::vector<double> after_ack_ms;      // per watcher per round, 0 when it held the version before the ack arrived
  std::vector<double> all_hold_ms;       // per round: until the last watcher holds it
  std::vector<double> ack_ms;            // per round: the update's own round trip
  std::vector<double> sent_all_hold_ms;  // per round: from sending the update until the last watcher holds it
};

Figures run(uint16_t port, int watchers_count, int services, int rounds, const std::string& update_path) {
  Figures figures;
  const int poll = ::epoll_create1(0);
  std::vector<Watcher> watchers(static_cast<size_t>(watchers_count));
  Connection control(port);
  for (int i = 0; i < watchers_count; ++i) {
    Watcher& watcher = watchers[static_cast<size_t>(i)];
    watcher.connection = std::make_unique<Connection>(port);
    watcher.service = "bench-service-" + std::to_string(i % services);
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.u32 = static_cast<uint32_t>(i);
    ::epoll_ctl(poll, EPOLL_CTL_ADD, watcher.connection->fd(), &event);
  }
  Connection updater(port);
  epoll_event event{};
  event.events = EPOLLIN;
  event.data.u32 = UINT32_MAX;
  ::epoll_ctl(poll, EPOLL_CTL_ADD, updater.fd(), &event);

  for (int round = 0; round < rounds; ++round) {
    for (Watcher& watcher : watchers) {
      control.exchange(get_request("/config/" + watcher.service));
      watcher.revision = nlohmann::json::parse(control.body())["revision"];
      watcher.connection->send(watch_request(watcher));
    }
    if (!wait_parked(control, watchers.size())) {
      std::fprintf(stderr, "the watches did not all park\n");
      break;
    }
    const auto sent = Clock::now();
    updater.send(put_request(update_path, round));
    Clock::time_point acked{};
    std::vector<Clock::time_point> held(watchers.size());
    size_t remaining = watchers.size() + 1;
    epoll_event ready[256];
    while (remaining > 0) {
      const int n = ::epoll_wait(poll, ready, 256, 10000);
      if (n <= 0) break;
      for (int i = 0; i < n; ++i) {
        const uint32_t id = ready[i].data.u32;
        Connection& connection = id == UINT32_MAX ? updater : *watchers[id].connection;
        if (connection.receive() == 0) continue;
        const auto now = Clock::now();
        --remaining;
        if (id == UINT32_MAX) {
          acked = now;
        } else {
          held[id] = now;
          watchers[id].revision = revision_in(connection.body());
        }
      }
    }
    if (remaining > 0) {
      std::fprintf(stderr, "round %d: %zu answers missing\n", round, remaining);
      break;
    }
    const auto ms = [](Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); };
    figures.ack_ms.push_back(ms(acked - sent));
    Clock::time_point last = acked;
    for (const auto& at : held) {
      figures.after_ack_ms.push_back(std::max(0.0, ms(at - acked)));
      last = std::max(last, at);
    }
    figures.all_hold_ms.push_back(ms(last - acked));
    Clock::time_point last_watcher = sent;
    for (const auto& at : held) last_watcher = std::max(last_watcher, at);
    figures.sent_all_hold_ms.push_back(ms(last_watcher - sent));
  }
  ::close(poll);
  return figures;
}

void print(const char* what, const Figures& figures) {
  std::printf("%s\n  update acknowledged: p50 %.2f ms, p99 %.2f ms\n", what, percentile(figures.ack_ms, 0.5),
              percentile(figures.ack_ms, 0.99));
  std::printf("  ack -> a watcher holds it (%zu samples): p50 %.2f ms, p99 %.2f ms\n", figures.after_ack_ms.size(),
              percentile(figures.after_ack_ms, 0.5), percentile(figures.after_ack_ms, 0.99));
  std::printf("  ack -> all watchers hold it (%zu rounds): p50 %.2f ms, p99 %.2f ms, max %.2f ms\n", figures.all_hold_ms.size(),
              percentile(figures.all_hold_ms, 0.5), percentile(figures.all_hold_ms, 0.99), percentile(figures.all_hold_ms, 1.0));
  std::printf("  update sent -> all watchers hold it: p50 %.2f ms, p99 %.2f ms, max %.2f ms\n", percentile(figures.sent_all_hold_ms, 0.5),
              percentile(figures.sent_all_hold_ms, 0.99), percentile(figures.sent_all_hold_ms, 1.0));
}

// Both scenarios against a fresh hubd; the summary line carries the issue's two targets.
bool measure(int rounds, int watchers) {
  const std::filesystem::path scratch =
      std::filesystem::temp_directory_path() / ("hub-config-bench-" + std::to_string(::getpid()) + "-" + std::to_string(watchers));
  const uint16_t port = static_cast<uint16_t>(20000 + (::getpid() + 7 + watchers) % 20000);
  const pid_t hubd = start_hubd(
      scratch, port, "storage: {backend: sqlite, sqlite: {path: " + (scratch / "hub.db").string() + "}}\nlogging: {level: warn}\n");
  if (hubd < 0) return false;
  std::printf("\nhubd pid %d, SQLite storage, %d watchers, %d rounds per scenario, %u cores\n", hubd, watchers, rounds,
              std::thread::hardware_concurrency());
  const Figures one = run(port, watchers, 1, rounds, "/config/bench-service-0");
  print("1. watchers of one service, the service's config updated", one);
  const Figures global = run(port, watchers, 100, rounds, "/global-config");
  print("2. watchers of 100 services, the global config updated", global);
  std::printf("hubd resident memory: %ld MiB\n", resident_kib(hubd) / 1024);
  for (const auto& [name, figures] : {std::pair<const char*, const Figures&>{"one service", one}, {"global", global}})
    std::printf(
        "SUMMARY %d watchers, %s: update acknowledged p99 %.2f ms (target < 20), every watcher holds it p99 %.2f ms after it was sent "
        "(target < 50)\n",
        watchers, name, percentile(figures.ack_ms, 0.99), percentile(figures.sent_all_hold_ms, 0.99));
  stop_hubd(hubd);
  std::filesystem::remove_all(scratch);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  const int rounds = argc > 1 ? std::stoi(argv[1]) : 20;
  std::vector<int> counts;
  for (int i = 2; i < argc; ++i) counts.push_back(std::stoi(argv[i]));
  if (counts.empty()) counts = {1000, 10000};
  for (int watchers : counts)
    if (!measure(rounds, watchers)) return 1;
  return 0;
}
