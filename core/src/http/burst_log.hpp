// Logs an event that comes in bursts (refused connections, a full descriptor
// table) once when the burst starts and then at most once per period, with
// how many occurrences the quiet time swallowed, so a flood of connections
// cannot become a flood of log lines.
//
//   BurstLog refused{std::chrono::seconds(10)};
//   if (auto swallowed = refused.occur(now)) spdlog::warn("refused a connection ({} more since)", *swallowed);
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>

namespace hub::http {

class BurstLog {
 public:
  using Clock = std::chrono::steady_clock;
  explicit BurstLog(Clock::duration period) : period_(period) {}

  // An occurrence: the count swallowed since the last line when this one should be logged.
  std::optional<size_t> occur(Clock::time_point now) {
    if (now < next_line_) {
      ++swallowed_;
      return std::nullopt;
    }
    return take(now);
  }
  // At the end of a burst: the count still unreported once the period has passed.
  std::optional<size_t> leftover(Clock::time_point now) {
    if (swallowed_ == 0 || now < next_line_) return std::nullopt;
    return take(now);
  }

 private:
  size_t take(Clock::time_point now) {
    const size_t swallowed = swallowed_;
    swallowed_ = 0;
    next_line_ = now + period_;
    return swallowed;
  }

  Clock::duration period_;
  Clock::time_point next_line_{};
  size_t swallowed_ = 0;
};

}  // namespace hub::http
