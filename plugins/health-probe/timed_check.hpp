// Runs one check against the real clock: the latency is measured around it,
// and a ProbeFailure becomes a DOWN result carrying its message.
#pragma once

#include "deadline_socket.hpp"
#include "probe_failure.hpp"

#include <hub/plugin.hpp>

#include <chrono>

namespace hub::probes {

template <class Check>  // Check: ProbeResult(SteadyTime deadline), may throw ProbeFailure
hub::ProbeResult timed_check(const hub::Host& host, hub::Deadline deadline, Check&& check) {
  const auto started = std::chrono::steady_clock::now();
  const SteadyTime until = real_deadline(deadline.monotonic_us, host.monotonic_us());
  const auto elapsed_us = [&] {
    return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started).count();
  };
  try {
    hub::ProbeResult result = check(until);
    result.latency_us = elapsed_us();
    return result;
  } catch (const ProbeFailure& failure) {
    return hub::ProbeResult::down(failure.what(), elapsed_us());
  }
}

}  // namespace hub::probes
