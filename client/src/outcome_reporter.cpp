#include "outcome_reporter.hpp"

namespace hub::client {

OutcomeReporter::OutcomeReporter(Send send, std::chrono::milliseconds interval, size_t max_pending)
    : send_(std::move(send)), interval_(interval), max_pending_(max_pending), thread_([this] { run(); }) {}

OutcomeReporter::~OutcomeReporter() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
  std::unique_lock lock(mutex_);
  send_some(lock);  // best effort: the hub may be gone
}

void OutcomeReporter::add(api::v1::CallOutcome outcome) {
  std::lock_guard lock(mutex_);
  if (pending_.size() >= max_pending_) {
    pending_.pop_front();
    ++dropped_;
  }
  pending_.push_back(std::move(outcome));
  if (pending_.size() >= kBatch) wake_.notify_all();
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

void OutcomeReporter::run() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    wake_.wait_for(lock, interval_, [this] { return stopping_ || pending_.size() >= kBatch; });
    if (!stopping_) send_some(lock);
  }
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
