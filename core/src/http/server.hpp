// The HTTP front: event loops (epoll) that read and answer keep-alive
// connections, and a worker pool for the handlers that may wait.
//
// Why our own epoll loops rather than Poco's SocketReactor or HTTPServer: the
// README's "The HTTP front" (Poco 1.11's reactor cannot be woken while it
// polls, and answers finished on a worker must reach their connection at once).
#pragma once

#include "router.hpp"

#include <hub/http_settings.hpp>
#include <hub/security_settings.hpp>

#include <memory>

namespace hub::http {

class Server {
 public:
  // Binds at once (so the port is known), serves after start(). With tls.enabled(), HTTPS only;
  // a certificate or key that does not load throws here, before anything listens.
  Server(const ListenAddress& listen, const HttpSettings& settings, std::shared_ptr<const Router> router, const TlsSettings& tls = {});
  ~Server();
  void start();
  void stop();  // closes every connection; handlers still running finish first
  uint16_t port() const;
  bool tls() const;
  // Loads the certificate and key again (SIGHUP); open connections keep theirs. Throws, keeping the
  // old ones, when the files do not load.
  void reload_certificates();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace hub::http
