// The HTTP front: event loops (epoll) that read and answer keep-alive
// connections, and a worker pool for the handlers that may wait.
//
// Why our own epoll loops rather than Poco's SocketReactor or HTTPServer: the
// README's "The HTTP front" (Poco 1.11's reactor cannot be woken while it
// polls, and answers finished on a worker must reach their connection at once).
#pragma once

#include "router.hpp"

#include <hub/http_settings.hpp>

#include <memory>

namespace hub::http {

class Server {
 public:
  // Binds at once (so the port is known), serves after start().
  Server(const ListenAddress& listen, const HttpSettings& settings, std::shared_ptr<const Router> router);
  ~Server();
  void start();
  void stop();  // closes every connection; handlers still running finish first
  uint16_t port() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace hub::http
