#include "server.hpp"

#include "encoding.hpp"

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>

#include <istream>
#include <stdexcept>

namespace hub::http {

namespace {

class Dispatch final : public Poco::Net::HTTPRequestHandler {
 public:
  Dispatch(std::shared_ptr<const Router> router, size_t max_body) : router_(std::move(router)), max_body_(max_body) {}

  void handleRequest(Poco::Net::HTTPServerRequest& in, Poco::Net::HTTPServerResponse& out) override {
    Request request;
    request.method = in.getMethod();
    const std::string& uri = in.getURI();
    const size_t question = uri.find('?');
    request.path = uri.substr(0, question);
    if (question != std::string::npos) request.query = uri.substr(question + 1);
    request.content_type = in.getContentType();
    request.wants_protobuf = in.get("Accept", "").find(kProtobufType) != std::string::npos;
    send(out, read_body(in, request) ? router_->dispatch(request) : too_large(request));
  }

 private:
  bool read_body(Poco::Net::HTTPServerRequest& in, Request& request) const {
    if (in.hasContentLength() && static_cast<size_t>(in.getContentLength64()) > max_body_) return false;
    std::istream& stream = in.stream();
    char buffer[8192];
    while (stream.read(buffer, sizeof buffer) || stream.gcount() > 0) {
      request.body.append(buffer, static_cast<size_t>(stream.gcount()));
      if (request.body.size() > max_body_) return false;
    }
    return true;
  }

  Response too_large(const Request& request) const {
    return error(request, 413, "payload_too_large", "the request body exceeds the limit of " + std::to_string(max_body_) + " bytes");
  }

  static void send(Poco::Net::HTTPServerResponse& out, const Response& response) {
    out.setStatus(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(response.status));
    out.setContentType(response.content_type);
    out.setContentLength(static_cast<std::streamsize>(response.body.size()));
    out.send().write(response.body.data(), static_cast<std::streamsize>(response.body.size()));
  }

  std::shared_ptr<const Router> router_;
  size_t max_body_;
};

class Factory final : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  Factory(std::shared_ptr<const Router> router, size_t max_body) : router_(std::move(router)), max_body_(max_body) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest&) override {
    return new Dispatch(router_, max_body_);
  }

 private:
  std::shared_ptr<const Router> router_;
  size_t max_body_;
};

}  // namespace

struct Server::Impl {
  Poco::Net::ServerSocket socket;
  std::unique_ptr<Poco::Net::HTTPServer> server;
  bool started = false;
};

Server::Server(const ListenAddress& listen, const HttpSettings& settings, std::shared_ptr<const Router> router)
    : impl_(std::make_unique<Impl>()) {
  try {
    // SO_REUSEADDR for quick restarts, but never SO_REUSEPORT: two hubs must not share a port.
    impl_->socket.bind(Poco::Net::SocketAddress(listen.host, listen.port), /*reuseAddress=*/true, /*reusePort=*/false);
    impl_->socket.listen(256);
  } catch (const Poco::Exception& error) {
    throw std::runtime_error("cannot listen on " + listen.to_string() + ": " + error.displayText());
  }
  auto* params = new Poco::Net::HTTPServerParams;
  params->setMaxThreads(settings.threads);
  params->setMaxQueued(settings.max_queued);
  params->setKeepAlive(true);
  params->setMaxKeepAliveRequests(0);  // unlimited: clients reuse connections
  impl_->server = std::make_unique<Poco::Net::HTTPServer>(new Factory(std::move(router), settings.max_body_bytes), impl_->socket, params);
}

Server::~Server() {
  stop();
}

void Server::start() {
  impl_->server->start();
  impl_->started = true;
}

void Server::stop() {
  if (!impl_->started) return;
  impl_->server->stopAll(true);
  impl_->started = false;
}

uint16_t Server::port() const {
  return impl_->socket.address().port();
}

}  // namespace hub::http
