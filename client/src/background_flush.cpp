#include "background_flush.hpp"

#include <exception>

namespace hub::client {

BackgroundFlush::BackgroundFlush(std::function<void()> flush, std::chrono::milliseconds interval)
    : flush_(std::move(flush)), interval_(interval), thread_([this] { run(); }) {}

BackgroundFlush::~BackgroundFlush() {
  stop();
}

void BackgroundFlush::wake() {
  {
    std::lock_guard lock(mutex_);
    woken_ = true;
  }
  wake_.notify_all();
}

void BackgroundFlush::stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
  try {
    flush_();
  } catch (const std::exception&) {
  }
}

void BackgroundFlush::run() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    wake_.wait_for(lock, interval_, [this] { return stopping_ || woken_; });
    if (stopping_) break;
    woken_ = false;
    lock.unlock();
    try {
      flush_();
    } catch (const std::exception&) {
    }
    lock.lock();
  }
}

}  // namespace hub::client
