// A TLS client for tests of the HTTPS front that need one connection kept open across events (a
// certificate reload), or the certificate the hub presented: OpenSSL on a blocking socket.
#pragma once

#include "support/raw_http.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <stdexcept>
#include <string>

namespace hub::testing {

class TlsClient {
 public:
  TlsClient(uint16_t port, const std::string& ca_file) {
    context_ = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_verify(context_, SSL_VERIFY_PEER, nullptr);
    if (SSL_CTX_load_verify_locations(context_, ca_file.c_str(), nullptr) != 1) throw std::runtime_error("cannot load " + ca_file);
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    timeval timeout{10, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) throw std::runtime_error("connect failed");
    ssl_ = SSL_new(context_);
    SSL_set_fd(ssl_, fd_);
    SSL_set1_host(ssl_, "127.0.0.1");
  }
  ~TlsClient() {
    SSL_free(ssl_);
    SSL_CTX_free(context_);
    if (fd_ >= 0) ::close(fd_);
  }
  TlsClient(const TlsClient&) = delete;
  TlsClient& operator=(const TlsClient&) = delete;

  bool handshake() { return SSL_connect(ssl_) == 1; }
  // The common name of the certificate the hub presented.
  std::string server_name() const {
    X509* certificate = SSL_get_peer_certificate(ssl_);
    if (!certificate) return "";
    char name[256] = {};
    X509_NAME_get_text_by_NID(X509_get_subject_name(certificate), NID_commonName, name, sizeof name);
    X509_free(certificate);
    return name;
  }
  void send_raw(const std::string& bytes) { SSL_write(ssl_, bytes.data(), static_cast<int>(bytes.size())); }
  // Closes the socket at once, without close_notify and without reading what the hub sends; with
  // `reset`, by a TCP reset rather than a FIN.
  void drop(bool reset = false) {
    if (reset) {
      linger abort{1, 0};
      ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &abort, sizeof abort);
    }
    ::close(fd_);
    fd_ = -1;
  }
  // Reads until what came holds `marker`; what came, or empty when it never did.
  std::string read_until(const std::string& marker) {
    std::string buffer;
    char chunk[16384];
    while (buffer.find(marker) == std::string::npos) {
      const int n = SSL_read(ssl_, chunk, sizeof chunk);
      if (n <= 0) return "";
      buffer.append(chunk, static_cast<size_t>(n));
    }
    return buffer;
  }
  // One GET on this connection; status 0 when no whole answer came.
  RawAnswer get(const std::string& path, const std::string& token = "") {
    const std::string request =
        "GET " + path + " HTTP/1.1\r\nHost: hub\r\n" + (token.empty() ? "" : "Authorization: Bearer " + token + "\r\n") + "\r\n";
    if (SSL_write(ssl_, request.data(), static_cast<int>(request.size())) <= 0) return {};
    std::string buffer;
    char chunk[16384];
    for (;;) {
      const size_t end = buffer.find("\r\n\r\n");
      if (end != std::string::npos) {
        RawAnswer answer;
        answer.head = buffer.substr(0, end + 2);
        answer.status = std::stoi(answer.head.substr(9, 3));
        const size_t at = answer.head.find("Content-Length: ");
        const size_t length = at == std::string::npos ? 0 : std::stoul(answer.head.substr(at + 16));
        if (buffer.size() >= end + 4 + length) {
          answer.body = buffer.substr(end + 4, length);
          return answer;
        }
      }
      const int n = SSL_read(ssl_, chunk, sizeof chunk);
      if (n <= 0) return {};
      buffer.append(chunk, static_cast<size_t>(n));
    }
  }

 private:
  SSL_CTX* context_ = nullptr;
  SSL* ssl_ = nullptr;
  int fd_ = -1;
};

}  // namespace hub::testing
