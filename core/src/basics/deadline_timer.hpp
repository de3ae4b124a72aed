// Runs callbacks at deadlines on one thread of its own: the end of a blocking
// query's wait, without a thread per waiter.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <thread>

namespace hub {

class DeadlineTimer {
 public:
  using Clock = std::chrono::steady_clock;
  DeadlineTimer();
  ~DeadlineTimer();  // drops what has not fired
  DeadlineTimer(const DeadlineTimer&) = delete;
  DeadlineTimer& operator=(const DeadlineTimer&) = delete;

  // `callback` runs on the timer's thread at `deadline`, unless cancelled first.
  uint64_t schedule(Clock::time_point deadline, std::function<void()> callback);
  // True when it had not fired yet; it never will.
  bool cancel(uint64_t id);

 private:
  void run();
  std::mutex mutex_;
  std::condition_variable changed_;
  std::multimap<Clock::time_point, uint64_t> order_;
  std::map<uint64_t, std::pair<Clock::time_point, std::function<void()>>> pending_;
  uint64_t next_id_ = 1;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace hub
