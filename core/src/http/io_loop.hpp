// One event loop of the HTTP front: an epoll set of keep-alive connections that
// this thread reads, parses, answers and writes. The first loop accepts and
// deals connections out in turn, so the loops share the load evenly. Requests
// whose handler may wait go to the worker pool; their answers come back through
// post(), in request order per connection.
#pragma once

#include "burst_log.hpp"
#include "request_parser.hpp"
#include "router.hpp"
#include "tls.hpp"
#include "worker_pool.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace hub::http {

// What one loop holds its connections to.
struct LoopLimits {
  ParseLimits parse;
  std::chrono::seconds idle_timeout{60};
  std::chrono::seconds header_timeout{10};  // from a request's first byte to the end of its head
  std::chrono::seconds body_timeout{60};    // from the end of the head to the end of the body
  size_t max_connections = 1024;            // this loop's share of the hub's cap
};

class IoLoop : public std::enable_shared_from_this<IoLoop> {
 public:
  // The loop that accepts gets the listening socket and `next_loop`, which
  // names the loop that takes each new connection; the others get -1.
  // `tls`, when given, makes every connection HTTPS (and WSS); it must outlive the loop.
  IoLoop(int listen_fd, std::function<IoLoop&()> next_loop, const Router& router, WorkerPool& workers, const LoopLimits& limits,
         const TlsContext* tls = nullptr);
  ~IoLoop();  // closes its connections and those handed over but not yet adopted
  IoLoop(const IoLoop&) = delete;
  IoLoop& operator=(const IoLoop&) = delete;

  void run();   // until stop(); on the loop's own thread
  void stop();  // from any thread
  // Runs `task` on the loop's thread at its next turn; dropped if the loop has stopped.
  void post(std::function<void()> task);
  // Gives the loop a connection accepted by another loop.
  void hand_over(int fd);

 private:
  using Clock = std::chrono::steady_clock;
  struct Connection;
  class Channel;

  void watch(int fd, uint64_t key, uint32_t events);
  void accept_all();
  void adopt(int fd);
  bool make_room(Clock::time_point now);
  void on_event(Connection& connection, uint32_t events);
  void pump(Connection& connection);
  bool read_some(Connection& connection);
  ssize_t receive(Connection& connection, char* buffer, size_t size);
  bool refuse_plain_http(Connection& connection);
  void serve_buffered(Connection& connection);
  void dispatch(Connection& connection, ParsedRequest& parsed);
  void run_on_worker(Connection& connection, Handler handler, std::shared_ptr<Request> request);
  void run_async(Connection& connection, const AsyncHandler& handler, std::shared_ptr<Request> request);
  void open_stream(Connection& connection, const StreamHandler& handler, const ParsedRequest& parsed, std::shared_ptr<Request> request);
  void serve_websocket(Connection& connection);
  void push(uint64_t key, const std::string& text, bool last);
  void finish(uint64_t key, const Response& response);
  void answer(Connection& connection, const Response& response);
  void flush(Connection& connection);
  void finish_if_done(Connection& connection);
  void close(Connection& connection);
  void run_posted();
  void sweep(Clock::time_point now);
  void time_out(Connection& connection, const std::string& what, std::chrono::seconds limit);

  const int listen_fd_;
  const std::function<IoLoop&()> next_loop_;
  const Router& router_;
  WorkerPool& workers_;
  const LoopLimits limits_;
  const TlsContext* const tls_;
  int epoll_fd_ = -1;
  int wake_fd_ = -1;
  std::atomic<bool> stopping_{false};
  uint64_t next_key_;
  std::unordered_map<uint64_t, std::unique_ptr<Connection>> connections_;
  Clock::time_point accept_paused_until_{};
  bool accepting_ = true;
  Clock::time_point next_sweep_{};
  BurstLog accept_failures_{std::chrono::seconds(10)};
  BurstLog refusals_{std::chrono::seconds(10)};
  BurstLog evictions_{std::chrono::seconds(10)};
  BurstLog handshake_failures_{std::chrono::seconds(10)};

  std::mutex posted_mutex_;
  std::vector<std::function<void()>> posted_;
  std::vector<int> handed_over_;
};

}  // namespace hub::http
