// The calls a breaker judges by: the last N calls (count-based), or the calls of the last N
// seconds (time-based), as Resilience4j's sliding windows. Totals are kept as calls come and go,
// so reading the rates costs nothing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace hub::circuit_breaker {

struct WindowTotals {
  uint32_t calls = 0, failures = 0, slow = 0;
  double failure_rate() const { return calls ? 100.0 * failures / calls : 0; }
  double slow_rate() const { return calls ? 100.0 * slow / calls : 0; }
};

class CallWindow {
 public:
  enum class Kind { count, time };

  CallWindow(Kind kind, uint32_t size) : kind_(kind), slots_(size) {}

  void add(bool failed, bool slow, int64_t now_us) {
    Slot& slot = kind_ == Kind::count ? slots_[next_++ % slots_.size()] : second_slot(now_us);
    if (kind_ == Kind::count) {
      forget(slot);
      slot = {};
    }
    slot.totals.calls += 1;
    slot.totals.failures += failed;
    slot.totals.slow += slow;
    totals_.calls += 1;
    totals_.failures += failed;
    totals_.slow += slow;
  }

  WindowTotals totals(int64_t now_us) {
    if (kind_ == Kind::time) expire(now_us / 1'000'000);
    return totals_;
  }

  void clear() {
    for (Slot& slot : slots_) slot = {};
    totals_ = {};
    next_ = 0;
  }

 private:
  struct Slot {
    int64_t second = -1;  // time-based: the second it counts
    WindowTotals totals;
  };

  Slot& second_slot(int64_t now_us) {
    const int64_t second = now_us / 1'000'000;
    expire(second);
    Slot& slot = slots_[static_cast<size_t>(second) % slots_.size()];
    if (slot.second != second) {
      forget(slot);
      slot = {second, {}};
    }
    return slot;
  }

  void expire(int64_t second) {
    for (Slot& slot : slots_)
      if (slot.second >= 0 && slot.second <= second - static_cast<int64_t>(slots_.size())) {
        forget(slot);
        slot = {};
      }
  }

  void forget(const Slot& slot) {
    totals_.calls -= slot.totals.calls;
    totals_.failures -= slot.totals.failures;
    totals_.slow -= slot.totals.slow;
  }

  const Kind kind_;
  std::vector<Slot> slots_;
  WindowTotals totals_;
  uint64_t next_ = 0;
};

}  // namespace hub::circuit_breaker
