#include "deadline_socket.hpp"

#include "dns_resolver.hpp"
#include "probe_failure.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace hub::probes {

SteadyTime real_deadline(int64_t hub_deadline_us, int64_t hub_now_us) {
  return std::chrono::steady_clock::now() + std::chrono::microseconds(std::max<int64_t>(0, hub_deadline_us - hub_now_us));
}

namespace {

std::string describe_errno(int error) {
  return std::strerror(error);
}

bool to_socket_address(const std::string& address, uint32_t port, sockaddr_storage& storage, socklen_t& length) {
  auto* v4 = reinterpret_cast<sockaddr_in*>(&storage);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&storage);
  if (::inet_pton(AF_INET, address.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<uint16_t>(port));
    length = sizeof *v4;
    return true;
  }
  if (::inet_pton(AF_INET6, address.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<uint16_t>(port));
    length = sizeof *v6;
    return true;
  }
  return false;
}

int open_nonblocking(int family) {
  const int fd = ::socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
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
  std::vector<std::string> addresses;
  try {
    addresses = net::resolve_addresses(host, AF_UNSPEC, std::nullopt, deadline);  // within the check's deadline
  } catch (const net::DnsError& error) {
    throw ProbeFailure(std::string("resolve ") + host + ": " + error.what());
  }
  std::string last_error = "no address";
  for (const std::string& address : addresses) {
    sockaddr_storage storage{};
    socklen_t length = 0;
    if (!to_socket_address(address, port, storage, length)) continue;
    fd_ = open_nonblocking(storage.ss_family);
    if (::connect(fd_, reinterpret_cast<const sockaddr*>(&storage), length) == 0) return;
    if (errno == EINPROGRESS) {
      try {
        wait_for(POLLOUT, "connect");
        int error = 0;
        socklen_t error_length = sizeof error;
        ::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &error, &error_length);
        if (error == 0) return;
        last_error = describe_errno(error);
      } catch (const ProbeFailure&) {
        ::close(fd_);
        fd_ = -1;
        throw;
      }
    } else {
      last_error = describe_errno(errno);
    }
    ::close(fd_);
    fd_ = -1;
  }
  throw ProbeFailure("connect " + peer_ + ": " + last_error);
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

}  // namespace hub::probes
