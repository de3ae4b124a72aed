#include "deadline_socket.hpp"

#include "probe_failure.hpp"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace hub::probes {

SteadyTime real_deadline(int64_t hub_deadline_us, int64_t hub_now_us) {
  return std::chrono::steady_clock::now() + std::chrono::microseconds(std::max<int64_t>(0, hub_deadline_us - hub_now_us));
}

namespace {

std::string describe_errno(int error) {
  return std::strerror(error);
}

int open_nonblocking(const addrinfo& address) {
  const int fd = ::socket(address.ai_family, address.ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, address.ai_protocol);
  if (fd < 0) throw ProbeFailure(std::string("socket: ") + describe_errno(errno));
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

}  // namespace

DeadlineSocket::DeadlineSocket(const std::string& host, uint32_t port, SteadyTime deadline)
    : peer_(host + ":" + std::to_string(port)), deadline_(deadline) {
  if (host.empty()) throw ProbeFailure("the target has no host");
  if (port == 0 || port > 65535) throw ProbeFailure("the target " + host + " has no valid port (" + std::to_string(port) + ")");
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_family = AF_UNSPEC;
  addrinfo* addresses = nullptr;
  const int resolved = ::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &addresses);
  if (resolved != 0) throw ProbeFailure("resolve " + host + ": " + ::gai_strerror(resolved));
  std::string last_error = "no address";
  for (const addrinfo* address = addresses; address; address = address->ai_next) {
    fd_ = open_nonblocking(*address);
    if (::connect(fd_, address->ai_addr, address->ai_addrlen) == 0) break;
    if (errno == EINPROGRESS) {
      try {
        wait_for(POLLOUT, "connect");
        int error = 0;
        socklen_t length = sizeof error;
        ::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &error, &length);
        if (error == 0) break;
        last_error = describe_errno(error);
      } catch (const ProbeFailure&) {
        ::close(fd_);
        fd_ = -1;
        ::freeaddrinfo(addresses);
        throw;
      }
    } else {
      last_error = describe_errno(errno);
    }
    ::close(fd_);
    fd_ = -1;
  }
  ::freeaddrinfo(addresses);
  if (fd_ < 0) throw ProbeFailure("connect " + peer_ + ": " + last_error);
}

DeadlineSocket::~DeadlineSocket() {
  if (fd_ >= 0) ::close(fd_);
}

void DeadlineSocket::wait_for(short events, const char* doing) {
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline_ - std::chrono::steady_clock::now());
    if (left.count() <= 0) throw ProbeFailure(std::string(doing) + " " + peer_ + ": timed out");
    pollfd poller{fd_, events, 0};
    const int ready = ::poll(&poller, 1, static_cast<int>(std::min<int64_t>(left.count(), 60'000)) + 1);
    if (ready > 0) return;
    if (ready < 0 && errno != EINTR) throw ProbeFailure(std::string(doing) + " " + peer_ + ": poll: " + describe_errno(errno));
  }
}

void DeadlineSocket::send_all(std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t sent = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (sent > 0) {
      bytes.remove_prefix(static_cast<size_t>(sent));
    } else if (sent < 0 && (errno == EAGAIN || errno == EINTR)) {
      wait_for(POLLOUT, "send to");
    } else {
      throw ProbeFailure("send to " + peer_ + ": " + describe_errno(errno));
    }
  }
}

bool DeadlineSocket::read_some(std::string& into, size_t limit) {
  if (into.size() >= limit) throw ProbeFailure(peer_ + " sent more than " + std::to_string(limit) + " bytes without what was expected");
  char chunk[4096];
  for (;;) {
    const ssize_t got = ::recv(fd_, chunk, std::min(sizeof chunk, limit - into.size()), 0);
    if (got > 0) {
      into.append(chunk, static_cast<size_t>(got));
      return true;
    }
    if (got == 0) return false;
    if (errno == EAGAIN || errno == EINTR) {
      wait_for(POLLIN, "read from");
      continue;
    }
    throw ProbeFailure("read from " + peer_ + ": " + describe_errno(errno));
  }
}

std::string DeadlineSocket::read_exact(size_t n) {
  std::string bytes;
  while (bytes.size() < n)
    if (!read_some(bytes, n))
      throw ProbeFailure(peer_ + " closed the connection after " + std::to_string(bytes.size()) + " of " + std::to_string(n) + " bytes");
  return bytes;
}

size_t DeadlineSocket::read_until(std::string& buffer, std::string_view delimiter, size_t limit) {
  for (;;) {
    const size_t found = buffer.find(delimiter);
    if (found != std::string::npos) return found;
    if (!read_some(buffer, limit)) throw ProbeFailure(peer_ + " closed the connection before answering in full");
  }
}

}  // namespace hub::probes
