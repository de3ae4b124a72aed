// Runs `flush` every `interval` on a thread of its own, or sooner when woken (a batch is full).
// stop() (or the destructor) ends the thread and flushes once more, on the caller's thread, so what
// was queued before a service stops still goes. Declare it last in its owner: it goes first, while
// what `flush` uses still lives.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace hub::client {

class BackgroundFlush {
 public:
  BackgroundFlush(std::function<void()> flush, std::chrono::milliseconds interval);
  ~BackgroundFlush();
  BackgroundFlush(const BackgroundFlush&) = delete;
  BackgroundFlush& operator=(const BackgroundFlush&) = delete;

  void wake();
  void stop();  // idempotent; `flush` exceptions are swallowed: the hub may be gone

 private:
  void run();

  std::function<void()> flush_;
  const std::chrono::milliseconds interval_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool woken_ = false;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace hub::client
