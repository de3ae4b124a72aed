// A bare TCP client for tests of the HTTP front: sends exactly the bytes a test
// writes and reads answers with a deadline, so malformed and pipelined requests
// can be sent as they are.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>

namespace hub::testing {

struct RawAnswer {
  int status = 0;
  std::string head;  // status line and headers
  std::string body;
};

class RawConnection {
 public:
  explicit RawConnection(uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) throw std::runtime_error("connect failed");
  }
  ~RawConnection() { ::close(fd_); }
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  void send(const std::string& bytes) {
    for (size_t sent = 0; sent < bytes.size();) {
      const ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) throw std::runtime_error("send failed");
      sent += static_cast<size_t>(n);
    }
  }
  void shutdown_writes() { ::shutdown(fd_, SHUT_WR); }

  // Reads until `buffer` holds `bytes` bytes or the deadline passes; false at end of stream or timeout.
  bool fill(size_t bytes, std::chrono::milliseconds within = std::chrono::seconds(10)) {
    const auto deadline = std::chrono::steady_clock::now() + within;
    while (buffer_.size() < bytes)
      if (!read_more(deadline)) return false;
    return true;
  }

  // The next answer; status 0 when none came whole before the deadline.
  RawAnswer answer(std::chrono::milliseconds within = std::chrono::seconds(10)) {
    const auto deadline = std::chrono::steady_clock::now() + within;
    size_t header_end;
    while ((header_end = buffer_.find("\r\n\r\n")) == std::string::npos)
      if (!read_more(deadline)) return {};
    RawAnswer answer;
    answer.head = buffer_.substr(0, header_end + 2);
    answer.status = std::stoi(answer.head.substr(9, 3));
    const size_t length_at = answer.head.find("Content-Length: ");
    const size_t length = length_at == std::string::npos ? 0 : std::stoul(answer.head.substr(length_at + 16));
    const bool has_body = answer.status >= 200 && !head_only_;
    const size_t total = header_end + 4 + (has_body ? length : 0);
    while (buffer_.size() < total)
      if (!read_more(deadline)) return {};
    answer.body = buffer_.substr(header_end + 4, total - header_end - 4);
    buffer_.erase(0, total);
    return answer;
  }

  // True when the hub closes the connection before the deadline (after any unread answer).
  bool closed_by_peer(std::chrono::milliseconds within = std::chrono::seconds(10)) {
    const auto deadline = std::chrono::steady_clock::now() + within;
    for (;;) {
      if (!read_more(deadline)) return eof_;
    }
  }

  void expect_head_only(bool head_only) { head_only_ = head_only; }
  const std::string& unread() const { return buffer_; }

 private:
  bool read_more(std::chrono::steady_clock::time_point deadline) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
    if (left <= 0) return false;
    pollfd ready{fd_, POLLIN, 0};
    if (::poll(&ready, 1, static_cast<int>(left)) <= 0) return false;
    char chunk[65536];
    const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n <= 0) {
      eof_ = true;
      return false;
    }
    buffer_.append(chunk, static_cast<size_t>(n));
    return true;
  }
  int fd_;
  std::string buffer_;
  bool eof_ = false;
  bool head_only_ = false;
};

}  // namespace hub::testing
