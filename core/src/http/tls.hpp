// HTTPS and WSS on the event-driven front, with OpenSSL: a context the YAML's certificate and key
// make (TLS 1.2 or newer, forward-secret AEAD ciphers, no renegotiation, no compression), and one
// session per connection over its non-blocking socket.
//
// reload() (SIGHUP) builds a new context from the files and swaps it in: connections made before
// keep the context they shook hands with, new ones get the new certificate, and a file that fails
// to load leaves the old context serving.
#pragma once

#include <hub/security_settings.hpp>

#include <sys/types.h>

#include <memory>
#include <mutex>
#include <string>

struct ssl_ctx_st;
struct ssl_st;

namespace hub::http {

class TlsContext {
 public:
  // Throws std::runtime_error naming the file and what OpenSSL found wrong.
  explicit TlsContext(const TlsSettings& settings);
  void reload();  // throws as the constructor does, and then keeps the context it had
  // A session for an accepted socket, on the current context; nullptr when OpenSSL cannot make one.
  ssl_st* session(int fd) const;

 private:
  const TlsSettings settings_;
  mutable std::mutex mutex_;
  std::shared_ptr<ssl_ctx_st> context_;
};

// One connection's TLS. receive() and send() answer as recv() and send() do on a non-blocking
// socket: bytes, 0 at the end of the stream, or -1 with errno EAGAIN (try again when the socket
// is ready) or another errno (the connection is broken: a failed handshake, a wrong certificate).
class TlsStream {
 public:
  explicit TlsStream(ssl_st* session);
  ~TlsStream();  // sends close_notify if it can, without waiting
  TlsStream(const TlsStream&) = delete;
  TlsStream& operator=(const TlsStream&) = delete;

  ssize_t receive(char* buffer, size_t size);
  ssize_t send(const char* data, size_t size);
  bool established() const { return established_; }
  // The verified client certificate's subject common name; empty without one.
  const std::string& client_subject() const { return client_subject_; }
  // Why the handshake failed, for the log; empty while it has not.
  const std::string& failure() const { return failure_; }

 private:
  ssize_t outcome(int result);
  bool handshake();
  ssl_st* session_;
  bool established_ = false;
  bool broken_ = false;
  std::string client_subject_;
  std::string failure_;
};

}  // namespace hub::http
