// Waiting on a condition with a deadline: for state another thread or process changes (a hub's
// housekeeping, a background reporter, another hub). Polls; never a sleep that hopes for the best.
#pragma once

#include <chrono>
#include <thread>

namespace hub::testing {

// True as soon as `done()` is; false when `within` passes first.
template <class Condition>
bool eventually(Condition done, std::chrono::milliseconds within = std::chrono::seconds(10)) {
  const auto deadline = std::chrono::steady_clock::now() + within;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));  // polling interval
  }
  return true;
}

}  // namespace hub::testing
