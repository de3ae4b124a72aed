#include "server.hpp"

#include "io_loop.hpp"
#include "worker_pool.hpp"

#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>

#include <algorithm>
#include <stdexcept>
#include <thread>

namespace hub::http {

namespace {

int loop_count(const HttpSettings& settings) {
  if (settings.io_threads > 0) return settings.io_threads;
  return static_cast<int>(std::clamp(std::thread::hardware_concurrency(), 1u, 4u));
}

}  // namespace

struct Server::Impl {
  Poco::Net::ServerSocket socket;
  HttpSettings settings;
  std::shared_ptr<const Router> router;
  std::unique_ptr<WorkerPool> workers;
  std::vector<std::shared_ptr<IoLoop>> loops;  // shared: a late async reply may hold one a moment
  std::vector<std::thread> threads;
  size_t next_loop = 0;  // only the accepting loop's thread turns it
};

Server::Server(const ListenAddress& listen, const HttpSettings& settings, std::shared_ptr<const Router> router)
    : impl_(std::make_unique<Impl>()) {
  try {
    // SO_REUSEADDR for quick restarts, but never SO_REUSEPORT: two hubs must not share a port.
    impl_->socket.bind(Poco::Net::SocketAddress(listen.host, listen.port), /*reuseAddress=*/true, /*reusePort=*/false);
    impl_->socket.listen(1024);
    impl_->socket.setBlocking(false);
  } catch (const Poco::Exception& error) {
    throw std::runtime_error("cannot listen on " + listen.to_string() + ": " + error.displayText());
  }
  impl_->settings = settings;
  impl_->router = std::move(router);
}

Server::~Server() {
  stop();
}

void Server::start() {
  if (!impl_->threads.empty()) return;
  impl_->workers = std::make_unique<WorkerPool>(impl_->settings.threads, static_cast<size_t>(impl_->settings.max_queued));
  auto next_loop = [impl = impl_.get()]() -> IoLoop& { return *impl->loops[impl->next_loop++ % impl->loops.size()]; };
  for (int i = 0; i < loop_count(impl_->settings); ++i)
    impl_->loops.push_back(std::make_shared<IoLoop>(i == 0 ? impl_->socket.impl()->sockfd() : -1, next_loop, *impl_->router,
                                                    *impl_->workers, impl_->settings));
  for (auto& loop : impl_->loops) impl_->threads.emplace_back([&loop = *loop] { loop.run(); });
}

void Server::stop() {
  if (impl_->threads.empty()) return;
  for (auto& loop : impl_->loops) loop->stop();
  for (auto& thread : impl_->threads) thread.join();
  impl_->threads.clear();
  impl_->workers.reset();  // running handlers finish; their answers go to loops that no longer run
  impl_->loops.clear();
}

uint16_t Server::port() const {
  return impl_->socket.address().port();
}

}  // namespace hub::http
