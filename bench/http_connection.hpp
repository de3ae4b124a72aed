// The benchmarks' client side: a keep-alive HTTP/1.1 connection that speaks
// just enough of the protocol for the hub's answers.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>
#include <string>

// The benchmarks' requests: a GET, and a JSON body sent with `method`.
inline std::string get_request(const std::string& path) {
  return "GET " + path + " HTTP/1.1\r\nHost: hub\r\n\r\n";
}
inline std::string json_request(const std::string& method, const std::string& path, const std::string& body) {
  return method + " " + path +
         " HTTP/1.1\r\nHost: hub\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

// One keep-alive connection speaking just enough HTTP/1.1 for the hub's answers.
class Connection {
 public:
  explicit Connection(uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) throw std::runtime_error("connect failed");
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  ~Connection() { ::close(fd_); }

  int fd() const { return fd_; }

  // Sends `request` whole and returns the status of the answer.
  int exchange(const std::string& request) {
    send(request);
    int status;
    while ((status = receive()) == 0) {
    }
    return status;
  }

  void send(const std::string& request) {
    for (size_t sent = 0; sent < request.size();) {
      const ssize_t n = ::send(fd_, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) throw std::runtime_error("send failed");
      sent += static_cast<size_t>(n);
    }
  }

  // Reads what has arrived; the status once the answer is whole, else 0.
  int receive() {
    char chunk[16384];
    const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n <= 0) throw std::runtime_error("connection closed");
    buffer_.append(chunk, static_cast<size_t>(n));
    const size_t header_end = buffer_.find("\r\n\r\n");
    if (header_end == std::string::npos) return 0;
    const size_t length_at = buffer_.find("Content-Length: ");
    const size_t length = length_at < header_end ? std::stoul(buffer_.substr(length_at + 16)) : 0;
    if (buffer_.size() < header_end + 4 + length) return 0;
    const int status = std::stoi(buffer_.substr(9, 3));
    body_ = buffer_.substr(header_end + 4, length);
    buffer_.erase(0, header_end + 4 + length);
    return status;
  }

  const std::string& body() const { return body_; }  // of the last whole answer

 private:
  int fd_;
  std::string buffer_;
  std::string body_;
};
