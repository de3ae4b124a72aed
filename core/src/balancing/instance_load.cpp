#include "instance_load.hpp"

#include <cmath>

namespace hub {

void InstanceLoad::lease(int64_t second) {
  leased_[static_cast<size_t>(second % kLeaseSlots)].fetch_add(1, std::memory_order_relaxed);
  in_flight_.fetch_add(1, std::memory_order_relaxed);
}

bool InstanceLoad::release(int64_t second, int64_t now_second, int64_t lease_seconds) {
  if (second > now_second || now_second - second >= lease_seconds || second <= swept_to_.load(std::memory_order_relaxed)) return false;
  std::atomic<int32_t>& slot = leased_[static_cast<size_t>(second % kLeaseSlots)];
  int32_t leased = slot.load(std::memory_order_relaxed);
  // Never below zero: a report for a lease already written off (or made up) changes nothing.
  while (leased > 0 && !slot.compare_exchange_weak(leased, leased - 1, std::memory_order_relaxed)) {
  }
  if (leased <= 0) return false;
  in_flight_.fetch_sub(1, std::memory_order_relaxed);
  return true;
}

void InstanceLoad::expire(int64_t now_second, int64_t lease_seconds) {
  const int64_t due = now_second - lease_seconds;
  int64_t swept = swept_to_.load(std::memory_order_relaxed);
  if (swept >= due) return;
  if (!swept_to_.compare_exchange_strong(swept, due, std::memory_order_relaxed)) return;  // another thread sweeps
  for (int64_t second = std::max(swept + 1, due - kLeaseSlots + 1); second <= due; ++second) {
    const int32_t lost = leased_[static_cast<size_t>(second % kLeaseSlots)].exchange(0, std::memory_order_relaxed);
    if (lost > 0) in_flight_.fetch_sub(lost, std::memory_order_relaxed);
  }
}

void InstanceLoad::observe_latency(int64_t duration_us, int64_t now_us, int64_t decay_us) {
  std::lock_guard lock(latency_mutex_);
  const double previous = latency_us_.load(std::memory_order_relaxed);
  const double sample = static_cast<double>(std::max<int64_t>(0, duration_us));
  double next = sample;
  if (previous >= 0 && sample < previous) {
    const double age = static_cast<double>(std::max<int64_t>(0, now_us - latency_at_us_.load(std::memory_order_relaxed)));
    const double keep = std::exp(-age / static_cast<double>(decay_us));
    next = previous * keep + sample * (1 - keep);
  }
  latency_us_.store(next, std::memory_order_relaxed);
  latency_at_us_.store(now_us, std::memory_order_relaxed);
}

int64_t InstanceLoad::latency_us(int64_t now_us, int64_t decay_us) const {
  const double latency = latency_us_.load(std::memory_order_relaxed);
  if (latency < 0) return -1;
  const double age = static_cast<double>(std::max<int64_t>(0, now_us - latency_at_us_.load(std::memory_order_relaxed)));
  return static_cast<int64_t>(latency * std::exp(-age / static_cast<double>(decay_us)));
}

}  // namespace hub
