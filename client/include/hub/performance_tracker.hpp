// PerformanceTracker: how long a service's operations take, in histograms per operation, reported to
// the hub (POST /performance) from a background thread. The same buckets and reports as the Python
// package's (central_hub.performance); the hub serves them with percentiles (GET /performance) and
// exports them on /metrics as hub_operation_duration_seconds.
//
//   hub::PerformanceTracker tracker("api-gateway", {.hub_url = "http://central-hub:8001"});
//   {
//     auto timing = tracker.measure("websocket_processing");  // until the end of the scope
//     process_websocket_message();
//   }
//   auto quote = tracker.timed("quote", [&] { return price(order); });
//
// Measuring takes a clock reading and a short lock; nothing waits on the hub. Reports are deltas:
// what was measured since the last report the hub took, kept while it is away.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

namespace hub {

struct PerformanceTrackerOptions {
  std::string hub_url = "http://127.0.0.1:8001";  // or several, separated by commas (Client)
  std::string token;                              // empty: the environment's HUB_TOKEN
  std::string ca_file;                            // HTTPS: empty means HUB_CA_FILE, else the system's CAs
  std::chrono::milliseconds request_timeout{2000};
  std::chrono::milliseconds interval{10000};  // how often a report goes
  size_t max_operations = 1000;               // names tracked (at most 1000, one report's worth); others are counted in dropped()
};

class PerformanceTracker {
 public:
  // The buckets' upper bounds in milliseconds, the hub's; one more bucket is above the last.
  static constexpr std::array<double, 14> kBoundsMs{0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000};

  struct Stats {
    uint64_t count = 0;
    double mean_ms = 0, p50_ms = 0, p95_ms = 0, p99_ms = 0;
  };

  // Times one run of an operation, from measure() until it is destroyed, whether the scope returns
  // or throws (a failing call takes time too).
  class Measurement {
   public:
    Measurement(Measurement&& other) noexcept;
    Measurement& operator=(Measurement&&) = delete;
    ~Measurement();

   private:
    friend class PerformanceTracker;
    Measurement(PerformanceTracker* tracker, std::string_view operation);
    PerformanceTracker* tracker_;
    std::string operation_;
    std::chrono::steady_clock::time_point started_;
  };

  explicit PerformanceTracker(std::string service_name, PerformanceTrackerOptions options = {});
  ~PerformanceTracker();  // sends a last report
  PerformanceTracker(const PerformanceTracker&) = delete;
  PerformanceTracker& operator=(const PerformanceTracker&) = delete;

  [[nodiscard]] Measurement measure(std::string_view operation);
  template <class Call>
  decltype(auto) timed(std::string_view operation, Call&& call) {
    const Measurement timing = measure(operation);
    return std::forward<Call>(call)();
  }
  // Counts one run of `operation` that took `took`.
  void record(std::string_view operation, std::chrono::duration<double, std::milli> took);

  // Each operation measured since this tracker started: count, mean and percentiles in milliseconds,
  // interpolated within their buckets as the hub does.
  std::map<std::string, Stats> stats() const;

  // Sends what was measured since the last report the hub took, now, on the caller's thread. True
  // when the hub took it (or there was nothing to send). While the hub is away it is kept and merged
  // with what comes next; a report the hub refuses as wrong (4xx) is dropped, and last_error() says why.
  bool flush();
  uint64_t dropped() const;        // measurements of operations beyond max_operations
  std::string last_error() const;  // why the last report was not taken; empty once one is

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace hub
