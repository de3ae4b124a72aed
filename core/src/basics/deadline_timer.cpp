#include "deadline_timer.hpp"

#include <pthread.h>

namespace hub {

DeadlineTimer::DeadlineTimer()
    : thread_([this] {
        pthread_setname_np(pthread_self(), "hub-timer");
        run();
      }) {}

DeadlineTimer::~DeadlineTimer() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  thread_.join();
}

uint64_t DeadlineTimer::schedule(Clock::time_point deadline, std::function<void()> callback) {
  std::lock_guard lock(mutex_);
  const uint64_t id = next_id_++;
  pending_.emplace(id, std::make_pair(deadline, std::move(callback)));
  const bool earliest = order_.empty() || deadline < order_.begin()->first;
  order_.emplace(deadline, id);
  if (earliest) changed_.notify_all();
  return id;
}

bool DeadlineTimer::cancel(uint64_t id) {
  std::lock_guard lock(mutex_);
  auto found = pending_.find(id);
  if (found == pending_.end()) return false;
  auto [first, last] = order_.equal_range(found->second.first);
  for (auto it = first; it != last; ++it)
    if (it->second == id) {
      order_.erase(it);
      break;
    }
  pending_.erase(found);
  return true;
}

void DeadlineTimer::run() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    if (order_.empty()) {
      changed_.wait(lock);
      continue;
    }
    const auto next = order_.begin();
    const Clock::time_point deadline = next->first;  // a copy: cancel() may free the node while we wait
    if (Clock::now() < deadline) {
      changed_.wait_until(lock, deadline);
      continue;
    }
    auto found = pending_.find(next->second);
    std::function<void()> callback = std::move(found->second.second);
    pending_.erase(found);
    order_.erase(next);
    lock.unlock();
    callback();
    lock.lock();
  }
}

}  // namespace hub
