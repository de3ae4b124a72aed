// The hub's log lines, taken through HubOptions::log_lines, for tests that
// check what an operator would read (or not read) in the log.
//
//   auto log = std::make_shared<LogCapture>();
//   options.log_lines = log->sink();
//   EXPECT_EQ(log->count("storage wiped"), 0);
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace hub::testing {

class LogCapture : public std::enable_shared_from_this<LogCapture> {
 public:
  std::function<void(std::string_view)> sink() {
    return [self = shared_from_this()](std::string_view line) {
      std::lock_guard lock(self->mutex_);
      self->lines_.emplace_back(line);
      self->added_.notify_all();
    };
  }
  size_t count(const std::string& part) const {
    std::lock_guard lock(mutex_);
    size_t found = 0;
    for (const std::string& line : lines_) found += line.find(part) != std::string::npos;
    return found;
  }
  // True once a line holds `part`, false at the deadline.
  bool wait_for(const std::string& part, std::chrono::milliseconds within = std::chrono::seconds(10)) {
    std::unique_lock lock(mutex_);
    return added_.wait_for(lock, within, [&] {
      for (const std::string& line : lines_)
        if (line.find(part) != std::string::npos) return true;
      return false;
    });
  }
  std::string all() const {
    std::lock_guard lock(mutex_);
    std::string text;
    for (const std::string& line : lines_) text += line + "\n";
    return text;
  }

 private:
  mutable std::mutex mutex_;
  std::condition_variable added_;
  std::vector<std::string> lines_;
};

}  // namespace hub::testing
