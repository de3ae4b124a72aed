// What a probe's protocol exchange reads and writes: a connection to the
// target (DeadlineSocket) or, when fuzzing, the bytes of a file. Every read is
// bounded by the caller's limit; every failure is a ProbeFailure naming the peer.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace hub::probes {

class ByteStream {
 public:
  virtual ~ByteStream() = default;
  virtual void send_all(std::string_view bytes) = 0;
  // Appends what arrives to `into`, at most `limit` bytes in all; false at the peer's end of stream.
  virtual bool read_some(std::string& into, size_t limit) = 0;
  virtual const std::string& peer() const = 0;

  // Exactly n bytes; a ProbeFailure when the peer closes first.
  std::string read_exact(size_t n);
  // Reads until `delimiter` is in `buffer` (or limit bytes); returns its position.
  size_t read_until(std::string& buffer, std::string_view delimiter, size_t limit);
};

}  // namespace hub::probes
