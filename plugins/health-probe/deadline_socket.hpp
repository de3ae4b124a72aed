// A TCP connection whose every operation gives up at one deadline. The probes
// speak their protocols through it; each failure is a ProbeFailure whose
// message names the peer and what went wrong.
#pragma once

#include "byte_stream.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace hub::probes {

using SteadyTime = std::chrono::steady_clock::time_point;

// The hub passes its deadline on its own monotonic clock (which tests may
// replace); probes wait on the real one, for the same remaining time.
SteadyTime real_deadline(int64_t hub_deadline_us, int64_t hub_now_us);

class DeadlineSocket final : public ByteStream {
 public:
  // Resolves host (numeric or a name) and connects to the first address that answers.
  DeadlineSocket(const std::string& host, uint32_t port, SteadyTime deadline);
  ~DeadlineSocket();
  DeadlineSocket(const DeadlineSocket&) = delete;
  DeadlineSocket& operator=(const DeadlineSocket&) = delete;

  void send_all(std::string_view bytes) override;
  bool read_some(std::string& into, size_t limit) override;
  const std::string& peer() const override { return peer_; }

 private:
  void wait_for(short events, const char* doing);

  int fd_ = -1;
  std::string peer_;
  SteadyTime deadline_;
};

}  // namespace hub::probes
