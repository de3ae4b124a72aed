#include "wire.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace hub::isolation {

Writer& Writer::u8(uint8_t value) {
  bytes_.push_back(static_cast<char>(value));
  return *this;
}

Writer& Writer::u32(uint32_t value) {
  for (int shift = 0; shift < 32; shift += 8) bytes_.push_back(static_cast<char>((value >> shift) & 0xff));
  return *this;
}

Writer& Writer::u64(uint64_t value) {
  for (int shift = 0; shift < 64; shift += 8) bytes_.push_back(static_cast<char>((value >> shift) & 0xff));
  return *this;
}

Writer& Writer::f64(double value) {
  uint64_t bits = 0;
  std::memcpy(&bits, &value, sizeof bits);
  return u64(bits);
}

Writer& Writer::str(std::string_view value) {
  const size_t length = std::min(value.size(), kMaxStringBytes);
  u32(static_cast<uint32_t>(length));
  bytes_.append(value.substr(0, length));
  return *this;
}

std::string_view Reader::take(size_t n) {
  if (n > bytes_.size()) throw WireError("a frame ends " + std::to_string(n - bytes_.size()) + " byte(s) early");
  const std::string_view taken = bytes_.substr(0, n);
  bytes_.remove_prefix(n);
  return taken;
}

uint8_t Reader::u8() {
  return static_cast<uint8_t>(take(1)[0]);
}

uint32_t Reader::u32() {
  const std::string_view bytes = take(4);
  uint32_t value = 0;
  for (int i = 3; i >= 0; --i) value = (value << 8) | static_cast<unsigned char>(bytes[static_cast<size_t>(i)]);
  return value;
}

uint64_t Reader::u64() {
  const std::string_view bytes = take(8);
  uint64_t value = 0;
  for (int i = 7; i >= 0; --i) value = (value << 8) | static_cast<unsigned char>(bytes[static_cast<size_t>(i)]);
  return value;
}

double Reader::f64() {
  const uint64_t bits = u64();
  double value = 0;
  std::memcpy(&value, &bits, sizeof value);
  return value;
}

std::string Reader::str(size_t max_bytes) {
  const uint32_t length = u32();
  if (length > max_bytes)
    throw WireError("a string of " + std::to_string(length) + " bytes is over the limit of " + std::to_string(max_bytes));
  return std::string(take(length));
}

size_t Reader::count(size_t smallest_item_bytes) {
  const uint32_t items = u32();
  if (items > kMaxListItems || static_cast<uint64_t>(items) * std::max<size_t>(1, smallest_item_bytes) > bytes_.size())
    throw WireError("a list of " + std::to_string(items) + " items does not fit its frame");
  return items;
}

bool send_frame(int fd, Message type, const Writer& body) {
  std::string frame;
  const uint32_t length = static_cast<uint32_t>(body.bytes().size() + 1);
  for (int shift = 0; shift < 32; shift += 8) frame.push_back(static_cast<char>((length >> shift) & 0xff));
  frame.push_back(static_cast<char>(type));
  frame += body.bytes();
  for (size_t sent = 0; sent < frame.size();) {
    const ssize_t n = ::send(fd, frame.data() + sent, frame.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    sent += static_cast<size_t>(n);
  }
  return true;
}

std::optional<Frame> take_frame(std::string& buffer) {
  if (buffer.size() < 4) return std::nullopt;
  uint32_t length = 0;
  for (int i = 3; i >= 0; --i) length = (length << 8) | static_cast<unsigned char>(buffer[static_cast<size_t>(i)]);
  if (length == 0 || length > kMaxFrameBytes) throw WireError("a frame of " + std::to_string(length) + " bytes is not allowed");
  if (buffer.size() < 4 + static_cast<size_t>(length)) return std::nullopt;
  Frame frame{static_cast<Message>(buffer[4]), buffer.substr(5, length - 1)};
  buffer.erase(0, 4 + static_cast<size_t>(length));
  return frame;
}

std::optional<Frame> FrameReader::next(std::optional<std::chrono::steady_clock::time_point> deadline) {
  for (;;) {
    if (auto frame = take_frame(buffer_)) return frame;
    if (deadline) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(*deadline - std::chrono::steady_clock::now()).count();
      pollfd ready{fd_, POLLIN, 0};
      if (left <= 0 || ::poll(&ready, 1, static_cast<int>(left)) == 0) throw WireError("no answer before the deadline");
    }
    char chunk[64 * 1024];
    const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n == 0) return std::nullopt;
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == ECONNRESET) return std::nullopt;
      throw WireError(std::string("reading the plugin socket failed: ") + std::strerror(errno));
    }
    buffer_.append(chunk, static_cast<size_t>(n));
  }
}

}  // namespace hub::isolation
