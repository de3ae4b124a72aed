#include "outcome_reporter.hpp"

namespace hub::client {

OutcomeReporter::OutcomeReporter(Send send, std::chrono::milliseconds interval, size_t max_pending)
    : send_(std::move(send)), max_pending_(max_pending), background_([this] { flush(); }, interval) {}

void OutcomeReporter::add(api::v1::CallOutcome outcome) {
  std::lock_guard lock(mutex_);
  if (pending_.size() >= max_pending_) {
    pending_.pop_front();
    ++dropped_;
  }
  pending_.push_back(std::move(outcome));
  if (pending_.size() >= kBatch) background_.wake();
}

void OutcomeReporter::flush() {
  std::unique_lock lock(mutex_);
  while (!pending_.empty() && send_some(lock)) {
  }
}

uint64_t OutcomeReporter::dropped() const {
  std::lock_guard lock(mutex_);
  return dropped_;
}

// Sends one batch without holding the lock; a batch the hub does not take is dropped, counted:
// outcomes are about now, and stale ones would mislead the balancers more than missing ones.
bool OutcomeReporter::send_some(std::unique_lock<std::mutex>& lock) {
  if (pending_.empty()) return false;
  api::v1::OutcomesRequest batch;
  while (!pending_.empty() && batch.outcomes_size() < kBatch) {
    *batch.add_outcomes() = std::move(pending_.front());
    pending_.pop_front();
  }
  lock.unlock();
  bool sent = true;
  try {
    send_(batch);
  } catch (const std::exception&) {
    sent = false;
  }
  lock.lock();
  if (!sent) dropped_ += static_cast<uint64_t>(batch.outcomes_size());
  return sent;
}

}  // namespace hub::client
