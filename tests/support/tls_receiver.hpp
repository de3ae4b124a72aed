// An HTTPS server for tests of what the hub sends outward (webhooks): accepts connections with a
// certificate of a TestCa, reads one request from each, answers 204 and keeps the request line.
#pragma once

#include "support/test_ca.hpp"

#include <openssl/ssl.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace hub::testing {

class TlsReceiver {
 public:
  explicit TlsReceiver(const IssuedCertificate& issued) {
    context_ = SSL_CTX_new(TLS_server_method());
    SSL_CTX_use_certificate_chain_file(context_, issued.certificate.c_str());
    SSL_CTX_use_PrivateKey_file(context_, issued.key.c_str(), SSL_FILETYPE_PEM);
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&address), sizeof address);
    ::listen(listen_fd_, 16);
    socklen_t size = sizeof address;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&address), &size);
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~TlsReceiver() {
    ::shutdown(listen_fd_, SHUT_RDWR);
    thread_.join();
    ::close(listen_fd_);
    SSL_CTX_free(context_);
  }
  uint16_t port() const { return port_; }
  // The request lines received so far ("POST /hooks HTTP/1.1"), waiting up to `within` for `count`.
  std::vector<std::string> requests(size_t count, std::chrono::milliseconds within) {
    std::unique_lock lock(mutex_);
    arrived_.wait_for(lock, within, [&] { return requests_.size() >= count; });
    return requests_;
  }

 private:
  void serve() {
    for (;;) {
      const int fd = ::accept(listen_fd_, nullptr, nullptr);
      if (fd < 0) return;
      timeval timeout{5, 0};
      ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
      SSL* ssl = SSL_new(context_);
      SSL_set_fd(ssl, fd);
      if (SSL_accept(ssl) == 1) {
        std::string head;
        char chunk[4096];
        int n;
        while (head.find("\r\n\r\n") == std::string::npos && (n = SSL_read(ssl, chunk, sizeof chunk)) > 0) head.append(chunk, n);
        const std::string answer = "HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n";
        SSL_write(ssl, answer.data(), static_cast<int>(answer.size()));
        std::lock_guard lock(mutex_);
        requests_.push_back(head.substr(0, head.find("\r\n")));
        arrived_.notify_all();
      }
      SSL_free(ssl);
      ::close(fd);
    }
  }

  SSL_CTX* context_ = nullptr;
  int listen_fd_ = -1;
  uint16_t port_ = 0;
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable arrived_;
  std::vector<std::string> requests_;
};

}  // namespace hub::testing
