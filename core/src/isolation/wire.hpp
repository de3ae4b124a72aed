// The messages between the hub and a plugin host process (isolation: process),
// and their framing on a Unix socket: a 4-byte little-endian length, a type
// byte, then the fields. Both sides treat the other's bytes as hostile: every
// read is bounded and a malformed frame is a WireError, never a crash.
//
//   Writer body;
//   body.u64(check_id).str(message);
//   send_frame(fd, Message::report, body);
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace hub::isolation {

enum class Message : uint8_t {
  descriptor = 1,  // host -> hub, first: the library's name, version, description, ABI and implementations
  load_failed,     // host -> hub, instead of descriptor: why the library did not load
  create,          // hub -> host: make an instance
  created,         // host -> hub: its status, message and declared config keys
  destroy,         // hub -> host
  check,           // hub -> host: a health check with its timeout
  report,          // host -> hub: a check's result
  start,           // hub -> host: start a discovery source
  started,         // host -> hub
  stop,            // hub -> host
  stopped,         // host -> hub
  assess,          // hub -> host: a liveness question
  assessed,        // host -> hub
  snapshot,        // host -> hub: a source's instances
  upsert,          // host -> hub
  remove,          // host -> hub
  log,             // host -> hub: a plugin's log line
  metric,          // host -> hub: a plugin's metric
};

class WireError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

inline constexpr size_t kMaxFrameBytes = 16 << 20;
inline constexpr size_t kMaxStringBytes = 1 << 20;
inline constexpr size_t kMaxListItems = 100'000;

class Writer {
 public:
  Writer& u8(uint8_t value);
  Writer& u32(uint32_t value);
  Writer& u64(uint64_t value);
  Writer& i64(int64_t value) { return u64(static_cast<uint64_t>(value)); }
  Writer& f64(double value);
  Writer& str(std::string_view value);
  const std::string& bytes() const { return bytes_; }

 private:
  std::string bytes_;
};

class Reader {
 public:
  explicit Reader(std::string_view bytes) : bytes_(bytes) {}
  uint8_t u8();
  uint32_t u32();
  uint64_t u64();
  int64_t i64() { return static_cast<int64_t>(u64()); }
  double f64();
  std::string str(size_t max_bytes = kMaxStringBytes);
  // A list's length, refused past kMaxListItems or past what the rest of the frame could hold.
  size_t count(size_t smallest_item_bytes);
  bool done() const { return bytes_.empty(); }

 private:
  std::string_view take(size_t n);
  std::string_view bytes_;
};

struct Frame {
  Message type;
  std::string body;
};

// Writes one whole frame; false when the peer has gone.
bool send_frame(int fd, Message type, const Writer& body);

// Reads frames from a blocking socket, one at a time.
class FrameReader {
 public:
  explicit FrameReader(int fd) : fd_(fd) {}
  // The next frame; nullopt at the peer's end of stream. Throws WireError for an oversized frame,
  // a read error, or the deadline passing first.
  std::optional<Frame> next(std::optional<std::chrono::steady_clock::time_point> deadline = std::nullopt);

 private:
  int fd_;
  std::string buffer_;
};

// Splits whole frames off the front of `buffer`, as FrameReader does: for tests and fuzzing.
std::optional<Frame> take_frame(std::string& buffer);

}  // namespace hub::isolation
