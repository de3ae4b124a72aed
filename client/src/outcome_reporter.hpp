// Sends a client's call outcomes to the hub in batches from a background thread: every `interval`,
// or at once when a batch is full. The queue is bounded: past its bound the oldest outcome goes,
// counted, so a hub that cannot be reached never grows the caller.
#pragma once

#include "background_flush.hpp"
#include "hub/api/v1/balancing.pb.h"

#include <chrono>
#include <deque>
#include <functional>
#include <mutex>

namespace hub::client {

class OutcomeReporter {
 public:
  using Send = std::function<void(const api::v1::OutcomesRequest&)>;  // throws when the hub refuses or is away

  OutcomeReporter(Send send, std::chrono::milliseconds interval, size_t max_pending = 10'000);
  ~OutcomeReporter() = default;  // sends what is left, once
  OutcomeReporter(const OutcomeReporter&) = delete;
  OutcomeReporter& operator=(const OutcomeReporter&) = delete;

  void add(api::v1::CallOutcome outcome);
  void flush();  // sends what is queued now, on the caller's thread
  uint64_t dropped() const;

  static constexpr int kBatch = 1000;  // the hub's limit per POST /outcomes

 private:
  bool send_some(std::unique_lock<std::mutex>& lock);

  Send send_;
  const size_t max_pending_;
  mutable std::mutex mutex_;
  std::deque<api::v1::CallOutcome> pending_;
  uint64_t dropped_ = 0;
  BackgroundFlush background_;
};

}  // namespace hub::client
