// A loopback TCP server for probe tests: each accepted connection is handed
// to a script on its own thread (speak Kafka, answer /ping, hang, send
// garbage, hang up). Stopping closes the listener and every connection,
// which ends scripts blocked on the peer.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace hub::testing {

class ScriptedServer {
 public:
  using Script = std::function<void(int fd)>;

  explicit ScriptedServer(Script script) : script_(std::move(script)) {
    listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 || ::listen(listener_, 64) != 0 ||
        ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length) != 0)
      throw std::runtime_error("scripted server: cannot listen on loopback");
    port_ = ntohs(address.sin_port);
    acceptor_ = std::thread([this] { accept_loop(); });
  }
  ~ScriptedServer() {
    stopping_ = true;
    ::shutdown(listener_, SHUT_RDWR);
    acceptor_.join();
    {
      std::lock_guard lock(mutex_);
      for (int fd : connections_) ::shutdown(fd, SHUT_RDWR);
    }
    for (std::thread& thread : scripts_) thread.join();
    for (int fd : connections_) ::close(fd);
    ::close(listener_);
  }
  ScriptedServer(const ScriptedServer&) = delete;
  ScriptedServer& operator=(const ScriptedServer&) = delete;

  uint16_t port() const { return port_; }
  int accepted() const { return accepted_; }

  // Helpers for scripts. read_until returns what arrived up to and including `delimiter`, or "" at end of stream.
  static std::string read_until(int fd, const std::string& delimiter) {
    std::string bytes;
    char c;
    while (bytes.find(delimiter) == std::string::npos) {
      if (::recv(fd, &c, 1, 0) != 1) return {};
      bytes += c;
    }
    return bytes;
  }
  static std::string read_exact(int fd, size_t n) {
    std::string bytes(n, '\0');
    for (size_t got = 0; got < n;) {
      const ssize_t r = ::recv(fd, bytes.data() + got, n - got, 0);
      if (r <= 0) return {};
      got += static_cast<size_t>(r);
    }
    return bytes;
  }
  static void send_all(int fd, const std::string& bytes) {
    for (size_t sent = 0; sent < bytes.size();) {
      const ssize_t r = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
      if (r <= 0) return;
      sent += static_cast<size_t>(r);
    }
  }
  // Blocks until the peer closes or the server stops: a target that never answers.
  static void hang(int fd) {
    char c;
    while (::recv(fd, &c, 1, 0) > 0) {
    }
  }

 private:
  void accept_loop() {
    for (;;) {
      const int fd = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) return;  // shut down
      std::lock_guard lock(mutex_);
      if (stopping_) {
        ::close(fd);
        return;
      }
      ++accepted_;
      connections_.push_back(fd);
      scripts_.emplace_back([this, fd] { script_(fd); });
    }
  }

  Script script_;
  int listener_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> accepted_{0};
  std::mutex mutex_;
  std::vector<int> connections_;
  std::vector<std::thread> scripts_;
  std::thread acceptor_;
};

}  // namespace hub::testing
