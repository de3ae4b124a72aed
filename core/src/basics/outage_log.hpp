// Logs a recurring task's outage once when it starts and once when it ends,
// not on every retry: a storage outage of an hour is two lines, not 3,600.
//
//   OutageLog log(logger, "health results not written");
//   try { flush(); log.succeeded(); } catch (const std::exception& e) { log.failed(e.what()); }
#pragma once

#include <spdlog/logger.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

namespace hub {

class OutageLog {
 public:
  OutageLog(std::shared_ptr<spdlog::logger> logger, std::string what) : logger_(std::move(logger)), what_(std::move(what)) {}

  void failed(const std::string& error) {
    if (failures_++ == 0) {
      started_ = std::chrono::steady_clock::now();
      logger_->warn("{}, retrying until it works: {}", what_, error);
    }
  }
  void succeeded() {
    if (failures_ == 0) return;
    const auto lasted = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started_).count();
    logger_->info("{}: works again after {} s and {} failed attempt(s)", what_, lasted, failures_);
    failures_ = 0;
  }
  bool failing() const { return failures_ > 0; }

 private:
  std::shared_ptr<spdlog::logger> logger_;
  std::string what_;
  uint64_t failures_ = 0;
  std::chrono::steady_clock::time_point started_;
};

}  // namespace hub
