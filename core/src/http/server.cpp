#include "server.hpp"

#include "io_loop.hpp"
#include "worker_pool.hpp"

#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>

#include <spdlog/spdlog.h>

#include <pthread.h>
#include <csignal>

#include <sys/resource.h>

#include <algorithm>
#include <stdexcept>
#include <thread>

namespace hub::http {

namespace {

int loop_count(const HttpSettings& settings) {
  if (settings.io_threads > 0) return settings.io_threads;
  return static_cast<int>(std::clamp(std::thread::hardware_concurrency(), 1u, 4u));
}

// The soft descriptor limit raised to the hard one: a hub's clients are its sockets.
size_t raise_descriptor_limit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return 1024;
  if (limit.rlim_cur < limit.rlim_max) {
    const rlim_t before = limit.rlim_cur;
    limit.rlim_cur = limit.rlim_max;
    if (::setrlimit(RLIMIT_NOFILE, &limit) == 0)
      spdlog::info("HTTP: raised the descriptor limit from {} to {}", before, limit.rlim_cur);
    else
      limit.rlim_cur = before;
  }
  return static_cast<size_t>(std::min<rlim_t>(limit.rlim_cur, 1u << 24));
}

// The configured cap, or the descriptor limit less a reserve for storage, probes, plugins and logs.
size_t connection_cap(const HttpSettings& settings) {
  const size_t descriptors = raise_descriptor_limit();
  if (settings.max_connections > 0) return static_cast<size_t>(settings.max_connections);
  const size_t reserve = std::max<size_t>(256, descriptors / 8);
  return descriptors > reserve + 64 ? descriptors - reserve : 64;
}

LoopLimits loop_limits(const HttpSettings& settings, size_t loops) {
  LoopLimits limits;
  limits.parse.max_body_bytes = settings.max_body_bytes;
  limits.parse.max_header_bytes = settings.max_header_bytes;
  limits.idle_timeout = std::chrono::seconds(settings.idle_timeout_seconds);
  limits.header_timeout = std::chrono::seconds(settings.header_timeout_seconds);
  limits.body_timeout = std::chrono::seconds(settings.body_timeout_seconds);
  limits.max_connections = std::max<size_t>(1, (connection_cap(settings) + loops - 1) / loops);
  return limits;
}

}  // namespace

struct Server::Impl {
  Poco::Net::ServerSocket socket;
  HttpSettings settings;
  std::shared_ptr<const Router> router;
  std::unique_ptr<TlsContext> tls;
  std::unique_ptr<WorkerPool> workers;
  std::vector<std::shared_ptr<IoLoop>> loops;  // shared: a late async reply may hold one a moment
  std::vector<std::thread> threads;
  size_t next_loop = 0;  // only the accepting loop's thread turns it
};

Server::Server(const ListenAddress& listen, const HttpSettings& settings, std::shared_ptr<const Router> router, const TlsSettings& tls)
    : impl_(std::make_unique<Impl>()) {
  if (tls.enabled()) impl_->tls = std::make_unique<TlsContext>(tls);
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
  const int loops = loop_count(impl_->settings);
  const LoopLimits limits = loop_limits(impl_->settings, static_cast<size_t>(loops));
  for (int i = 0; i < loops; ++i)
    impl_->loops.push_back(std::make_shared<IoLoop>(i == 0 ? impl_->socket.impl()->sockfd() : -1, next_loop, *impl_->router,
                                                    *impl_->workers, limits, impl_->tls.get()));
  for (auto& loop : impl_->loops)
    impl_->threads.emplace_back([&loop = *loop] {
      pthread_setname_np(pthread_self(), "hub-io");  // what top -H and perf show
      // OpenSSL writes with write(), not send(MSG_NOSIGNAL): a peer gone mid-answer must give this
      // thread EPIPE, not the process a SIGPIPE that ends it.
      sigset_t pipe;
      sigemptyset(&pipe);
      sigaddset(&pipe, SIGPIPE);
      pthread_sigmask(SIG_BLOCK, &pipe, nullptr);
      loop.run();
    });
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

bool Server::tls() const {
  return impl_->tls != nullptr;
}

void Server::reload_certificates() {
  if (impl_->tls) impl_->tls->reload();
}

}  // namespace hub::http
