// The hub's notion of time. Everything that waits or expires reads a Clock, so
// tests drive timeouts with ManualClock instead of sleeping.
//
//   auto clock = std::make_shared<hub::ManualClock>();
//   options.clock = clock;
//   clock->advance(std::chrono::seconds(91));
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace hub {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual int64_t now_unix_us() const = 0;
  virtual int64_t monotonic_us() const = 0;
};

class SystemClock final : public Clock {
 public:
  int64_t now_unix_us() const override;
  int64_t monotonic_us() const override;
};

// Starts at a fixed instant and moves only when told.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(int64_t start_unix_us = 1'700'000'000'000'000) : unix_us_(start_unix_us) {}
  int64_t now_unix_us() const override { return unix_us_.load(); }
  int64_t monotonic_us() const override { return monotonic_us_.load(); }
  void advance(std::chrono::microseconds by) {
    unix_us_ += by.count();
    monotonic_us_ += by.count();
  }

 private:
  std::atomic<int64_t> unix_us_;
  std::atomic<int64_t> monotonic_us_{0};
};

}  // namespace hub
