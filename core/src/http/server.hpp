// The HTTP front: Poco's multi-threaded HTTPServer dispatching to a Router.
#pragma once

#include "router.hpp"

#include <hub/deployment.hpp>

#include <memory>

namespace hub::http {

class Server {
 public:
  // Binds at once (so the port is known), serves after start().
  Server(const ListenAddress& listen, const HttpSettings& settings, std::shared_ptr<const Router> router);
  ~Server();
  void start();
  void stop();
  uint16_t port() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace hub::http
