// The load every caller puts on one instance, as the hub sees it: the calls it handed out through
// GET /lb that are still in flight, its calls' latency as a peak-EWMA, the `load` its heartbeats
// report, and since when it is warm (slow start). Picks read it on many threads at once and never
// block; outcomes and heartbeats write it.
//
// A call in flight is a lease: counted in the slot of the second it was picked in, released by its
// outcome, and written off when its second is `lease_seconds` old, so a caller that never reports
// back cannot leave an instance looking busy for ever.
#pragma once

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>

namespace hub {

class InstanceLoad {
 public:
  static constexpr int64_t kLeaseSlots = 64;  // above the longest lease (60 s)

  explicit InstanceLoad(int64_t now_second) : swept_to_(now_second - 1) {}

  // One more call in flight, picked at `second`.
  void lease(int64_t second);
  // Its outcome came back: false when that lease is unknown here or already written off.
  bool release(int64_t second, int64_t now_second, int64_t lease_seconds);
  // Writes off the leases picked `lease_seconds` or more ago; cheap when there is nothing to do.
  void expire(int64_t now_second, int64_t lease_seconds);
  int64_t in_flight() const { return std::max<int64_t>(0, in_flight_.load(std::memory_order_relaxed)); }

  // A call took `duration_us`: the average jumps to a slower call at once and decays toward faster
  // ones with time constant `decay_us` (Finagle's peak-EWMA).
  void observe_latency(int64_t duration_us, int64_t now_us, int64_t decay_us);
  // The latency now: the average decays toward zero while no call is reported, so an instance that
  // was slow once is tried again. <0: never observed.
  int64_t latency_us(int64_t now_us, int64_t decay_us) const;

  void set_load(double load) { load_.store(load, std::memory_order_relaxed); }
  double load() const { return load_.load(std::memory_order_relaxed); }

  // 0: warm. Otherwise the monotonic time it became a healthy candidate, for slow start.
  std::atomic<int64_t> warming_since_us{0};
  bool was_healthy = false;  // as of the last candidate set; only the balancer's refresh touches it

  // Outlier detection: what callers reported since the last success-rate pass, and its ejection.
  std::atomic<uint32_t> consecutive_failures{0};
  std::atomic<uint32_t> interval_calls{0};
  std::atomic<uint32_t> interval_successes{0};
  std::atomic<int64_t> ejected_until_us{0};  // monotonic; out of the candidates until then
  uint32_t times_ejected = 0;                // these two under the balancer's state lock
  std::string ejection_reason;
  bool ejected(int64_t now_us) const { return ejected_until_us.load(std::memory_order_relaxed) > now_us; }

  // The instance asked for no new calls (POST /drain): out of the candidates until it asks again.
  std::atomic<bool> draining{false};

 private:
  std::array<std::atomic<int32_t>, kLeaseSlots> leased_{};  // by the second picked in, modulo the slots
  std::atomic<int64_t> in_flight_{0};
  std::atomic<int64_t> swept_to_;  // every second up to this one has been written off
  std::mutex latency_mutex_;       // outcomes only: picks read the two atomics below
  std::atomic<double> latency_us_{-1};
  std::atomic<int64_t> latency_at_us_{0};
  std::atomic<double> load_{-1};
};

}  // namespace hub
