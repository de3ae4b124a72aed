#include "io_loop.hpp"

#include "encoding.hpp"
#include "response_text.hpp"
#include "websocket.hpp"

#include <spdlog/spdlog.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace hub::http {

namespace {

constexpr uint64_t kListenKey = 0;
constexpr uint64_t kWakeKey = 1;
constexpr size_t kReadChunk = 64 * 1024;
constexpr size_t kOutputHighWater = 1 << 20;  // stop serving a connection that does not read its answers
constexpr size_t kPushBacklog = 4 << 20;      // a push stream's unsent bytes before it is closed
constexpr std::chrono::seconds kLingerAfterError{2};
constexpr std::chrono::milliseconds kAcceptPause{100};

Response call_handler(const Handler& handler, const Request& request) {
  try {
    return handler(request);
  } catch (const std::exception& failure) {
    spdlog::error("{} {} failed: {}", request.method, request.path, failure.what());
    return error(request, 500, "internal_error", std::string("the hub failed to answer: ") + failure.what());
  }
}

const char* error_code(int status) {
  switch (status) {
    case 408:
      return "request_timeout";
    case 413:
      return "payload_too_large";
    case 431:
      return "headers_too_large";
    case 501:
      return "not_implemented";
    case 505:
      return "http_version_not_supported";
    default:
      return "bad_request";
  }
}

std::string peer_address(int fd) {
  sockaddr_storage address{};
  socklen_t size = sizeof address;
  if (::getpeername(fd, reinterpret_cast<sockaddr*>(&address), &size) != 0) return "";
  char text[INET6_ADDRSTRLEN] = {};
  if (address.ss_family == AF_INET)
    inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(&address)->sin_addr, text, sizeof text);
  else if (address.ss_family == AF_INET6)
    inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(&address)->sin6_addr, text, sizeof text);
  return text;
}

Request to_request(ParsedRequest& parsed) {
  Request request;
  request.method = std::move(parsed.method);
  const size_t question = parsed.target.find('?');
  request.path = parsed.target.substr(0, question);
  if (question != std::string::npos) request.query = parsed.target.substr(question + 1);
  request.content_type = std::move(parsed.content_type);
  request.wants_protobuf = parsed.accept.find(kProtobufType) != std::string::npos;
  request.body = std::move(parsed.body);
  request.authorization = std::move(parsed.authorization);
  return request;
}

}  // namespace

struct IoLoop::Connection {
  Connection(int fd, uint64_t key) : fd(fd), key(key) {}
  ~Connection();
  const int fd;
  const uint64_t key;
  std::string input;
  std::string output;
  size_t output_sent = 0;
  bool readable = false;         // edge-triggered: data may wait until we read to EAGAIN
  bool awaiting_answer = false;  // a worker holds a request; later ones wait so answers keep their order
  bool keep_alive = true;        // of the request being answered
  bool head_only = false;
  bool sent_continue = false;
  bool peer_closed = false;
  bool closing = false;    // answer then close
  bool draining = false;   // write side shut after an error; unread input is discarded
  bool websocket = false;  // after the handshake: frames, not requests
  std::string peer;        // the client's IP address
  std::unique_ptr<TlsStream> tls;
  std::string client_subject;  // TLS: the verified client certificate's common name
  // Who the last request was from, and the Authorization it sent: the next one with the same
  // header starts from that caller, which the gate checks again (revoked? expired?).
  std::string authorization;
  std::shared_ptr<const security::Caller> caller;
  std::shared_ptr<Channel> channel;
  std::shared_ptr<void> revocation;  // while held, revoking the stream's credential closes it
  Clock::time_point last_activity = Clock::now();
  // A request in progress: when its first byte came, and when its head was complete. Zero: none.
  Clock::time_point request_started{};
  Clock::time_point body_started{};
  // May be closed to make room for a new client: nothing in progress or owed to it.
  bool idle() const { return !awaiting_answer && !websocket && output.empty() && body_started == Clock::time_point{}; }
};

// What a stream handler holds: sends go through the loop to the connection, if it is still there.
class IoLoop::Channel final : public PushChannel {
 public:
  Channel(std::weak_ptr<IoLoop> loop, uint64_t key) : loop_(std::move(loop)), key_(key) {}
  void send(std::string text) override {
    if (!open_) return;
    if (auto loop = loop_.lock()) loop->post([loop = loop.get(), key = key_, text = std::move(text)] { loop->push(key, text, false); });
  }
  void close(std::string reason) override {
    if (!open_.exchange(false)) return;
    if (auto loop = loop_.lock())
      loop->post([loop = loop.get(), key = key_, reason = std::move(reason)] { loop->push(key, reason, true); });
  }
  bool open() const override { return open_ && !loop_.expired(); }
  void on_close(std::function<void()> gone) override {
    std::unique_lock lock(mutex_);
    if (!connected_) {
      lock.unlock();
      return gone();
    }
    gone_ = std::move(gone);
  }
  // The connection is gone: no more sends, and whoever waits on it is told.
  void closed() {
    open_ = false;
    std::function<void()> gone;
    {
      std::lock_guard lock(mutex_);
      connected_ = false;
      gone.swap(gone_);
    }
    if (gone) gone();
  }

 private:
  std::weak_ptr<IoLoop> loop_;
  const uint64_t key_;
  std::atomic<bool> open_{true};
  std::mutex mutex_;
  bool connected_ = true;
  std::function<void()> gone_;
};

IoLoop::Connection::~Connection() {
  if (channel) channel->closed();
  tls.reset();  // its close_notify goes out before the socket closes
  ::close(fd);
}

IoLoop::IoLoop(int listen_fd, std::function<IoLoop&()> next_loop, const Router& router, WorkerPool& workers, const LoopLimits& limits,
               const TlsContext* tls)
    : listen_fd_(listen_fd),
      next_loop_(std::move(next_loop)),
      router_(router),
      workers_(workers),
      limits_(limits),
      tls_(tls),
      next_key_(2) {
  epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
  wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (epoll_fd_ < 0 || wake_fd_ < 0) throw std::runtime_error(std::string("cannot create an event loop: ") + std::strerror(errno));
  watch(wake_fd_, kWakeKey, EPOLLIN);
  if (listen_fd_ >= 0) watch(listen_fd_, kListenKey, EPOLLIN);
}

IoLoop::~IoLoop() {
  for (int fd : handed_over_) ::close(fd);
  connections_.clear();
  ::close(wake_fd_);
  ::close(epoll_fd_);
}

void IoLoop::watch(int fd, uint64_t key, uint32_t events) {
  epoll_event event{};
  event.events = events;
  event.data.u64 = key;
  if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &event) != 0)
    throw std::runtime_error(std::string("cannot watch a socket: ") + std::strerror(errno));
}

void IoLoop::stop() {
  stopping_ = true;
  const uint64_t one = 1;
  (void)!::write(wake_fd_, &one, sizeof one);
}

void IoLoop::hand_over(int fd) {
  {
    std::lock_guard lock(posted_mutex_);
    handed_over_.push_back(fd);
  }
  const uint64_t one = 1;
  (void)!::write(wake_fd_, &one, sizeof one);
}

void IoLoop::post(std::function<void()> task) {
  bool first;
  {
    std::lock_guard lock(posted_mutex_);
    first = posted_.empty();
    posted_.push_back(std::move(task));
  }
  // One wake per batch: the loop reads the eventfd before it takes the batch, so a task posted
  // behind others is taken with them. Ten thousand woken watchers cost one write, not ten thousand.
  if (!first) return;
  const uint64_t one = 1;
  (void)!::write(wake_fd_, &one, sizeof one);
}

void IoLoop::run() {
  epoll_event events[128];
  while (!stopping_) {
    const int ready = ::epoll_wait(epoll_fd_, events, 128, accepting_ ? 1000 : static_cast<int>(kAcceptPause.count()));
    if (ready < 0 && errno != EINTR) {
      spdlog::critical("HTTP: epoll_wait failed ({}); this event loop stops", std::strerror(errno));
      return;
    }
    for (int i = 0; i < ready; ++i) {
      const uint64_t key = events[i].data.u64;
      if (key == kListenKey) {
        accept_all();
      } else if (key == kWakeKey) {
        uint64_t count;
        (void)!::read(wake_fd_, &count, sizeof count);
        run_posted();
      } else if (auto found = connections_.find(key); found != connections_.end()) {
        on_event(*found->second, events[i].events);
      }
    }
    const auto now = Clock::now();
    if (now >= next_sweep_ || !accepting_) sweep(now);
  }
  connections_.clear();  // answers still on workers find no connection and are dropped
}

void IoLoop::accept_all() {
  for (int accepted = 0; accepted < 64; ++accepted) {
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        // Out of descriptors: the listening socket stays readable, so stop polling it a moment.
        if (auto swallowed = accept_failures_.occur(Clock::now()))
          spdlog::warn("HTTP: cannot accept connections ({}); pausing accepts for {} ms at a time ({} more since the last report)",
                       std::strerror(errno), kAcceptPause.count(), *swallowed);
        ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, listen_fd_, nullptr);
        accepting_ = false;
        accept_paused_until_ = Clock::now() + kAcceptPause;
      }
      return;
    }
    IoLoop& target = next_loop_();
    if (&target == this)
      adopt(fd);
    else
      target.hand_over(fd);
  }
}

void IoLoop::adopt(int fd) {
  if (connections_.size() >= limits_.max_connections && !make_room(Clock::now())) {
    static const std::string busy = [] {
      std::string text;
      append_response(text, error(Request{}, 503, "server_busy", "the hub is at its connection cap and none is idle; retry later"), false,
                      false);
      return text;
    }();
    if (!tls_) (void)!::send(fd, busy.data(), busy.size(), MSG_NOSIGNAL | MSG_DONTWAIT);  // TLS would need a handshake first
    ::close(fd);
    if (auto swallowed = refusals_.occur(Clock::now()))
      spdlog::warn(
          "HTTP: at the cap of {} connections on this event loop and none idle; refused a connection ({} more since the last report)",
          limits_.max_connections, *swallowed);
    return;
  }
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  const uint64_t key = next_key_++;
  auto connection = std::make_unique<Connection>(fd, key);
  connection->readable = true;  // data may have arrived before the watch
  connection->peer = peer_address(fd);
  if (tls_) {
    ssl_st* session = tls_->session(fd);
    if (!session) {
      spdlog::warn("HTTP: dropping a new connection from {}: OpenSSL could not make a TLS session", connection->peer);
      return;
    }
    connection->tls = std::make_unique<TlsStream>(session);
  }
  Connection& added = *connection;
  connections_.emplace(key, std::move(connection));
  try {
    watch(fd, key, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET);
  } catch (const std::exception& failure) {
    spdlog::warn("HTTP: dropping a new connection: {}", failure.what());
    return close(added);
  }
  pump(added);
}

// At the cap, the connection idle the longest (a kept-alive one waiting for its next request, or
// one whose head is still arriving) is closed for the newcomer: parked watches, streams and
// requests in progress are kept.
bool IoLoop::make_room(Clock::time_point now) {
  Connection* oldest = nullptr;
  for (const auto& [key, connection] : connections_)
    if (connection->idle() && (!oldest || connection->last_activity < oldest->last_activity)) oldest = connection.get();
  if (!oldest) return false;
  if (auto swallowed = evictions_.occur(now))
    spdlog::warn(
        "HTTP: at the cap of {} connections on this event loop; closed the one idle longest for a new client ({} more since "
        "the last report)",
        limits_.max_connections, *swallowed);
  close(*oldest);
  return true;
}

void IoLoop::on_event(Connection& connection, uint32_t events) {
  if (events & (EPOLLERR | EPOLLHUP)) return close(connection);
  connection.last_activity = Clock::now();
  if (events & (EPOLLIN | EPOLLRDHUP)) connection.readable = true;
  if (connection.tls && (events & EPOLLOUT)) connection.readable = true;  // a handshake may wait to write before it reads
  pump(connection);
}

// Serves what the connection has buffered and what it can read, then writes.
void IoLoop::pump(Connection& connection) {
  for (;;) {
    if (connection.draining) {
      while (connection.readable && read_some(connection)) connection.input.clear();
      flush(connection);
      break;
    }
    serve_buffered(connection);
    const bool output_full = connection.output.size() > kOutputHighWater;
    if (!connection.awaiting_answer && !connection.closing && !output_full && connection.readable && read_some(connection)) continue;
    flush(connection);
    // Requests held back while a large answer was written can be served now.
    if (!(output_full && connection.output.empty())) break;
  }
  finish_if_done(connection);
}

// Reads one chunk; false when nothing came (EAGAIN, end of stream or an error).
bool IoLoop::read_some(Connection& connection) {
  char chunk[kReadChunk];
  const ssize_t n = receive(connection, chunk, sizeof chunk);
  if (n > 0) {
    connection.input.append(chunk, static_cast<size_t>(n));
    return true;
  }
  connection.readable = false;
  if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) connection.peer_closed = true;
  return false;
}

ssize_t IoLoop::receive(Connection& connection, char* buffer, size_t size) {
  if (!connection.tls) return ::recv(connection.fd, buffer, size, 0);
  if (!connection.tls->established() && refuse_plain_http(connection)) return ::recv(connection.fd, buffer, size, 0);
  const ssize_t n = connection.tls->receive(buffer, size);
  if (n < 0 && errno != EAGAIN && !connection.tls->established())
    if (auto swallowed = handshake_failures_.occur(Clock::now()))
      spdlog::warn("HTTP: TLS handshake from {} failed: {} ({} more since the last report)", connection.peer, connection.tls->failure(),
                   *swallowed);
  if (connection.tls->established() && connection.client_subject.empty()) connection.client_subject = connection.tls->client_subject();
  return n;
}

// A client speaking plain HTTP to the TLS port gets a plain answer that says so, not a hang or a
// reset: a TLS client's first byte is a handshake record (22), an HTTP client's a method's letter.
bool IoLoop::refuse_plain_http(Connection& connection) {
  unsigned char first = 0;
  if (::recv(connection.fd, &first, 1, MSG_PEEK) != 1 || first < 'A' || first > 'Z') return false;
  connection.tls.reset();  // from here the connection is plain: the answer, then the rest drained
  connection.keep_alive = false;
  connection.head_only = false;
  answer(connection, error(Request{}, 400, "tls_required", "this port speaks HTTPS: connect with https:// (or wss://), not plain HTTP"));
  connection.draining = true;
  return true;
}

void IoLoop::serve_buffered(Connection& connection) {
  if (connection.websocket) return serve_websocket(connection);
  while (!connection.awaiting_answer && !connection.closing && !connection.input.empty() && connection.output.size() <= kOutputHighWater) {
    ParsedRequest parsed;
    const ParseOutcome outcome = parse_request(connection.input, limits_.parse, parsed);
    if (outcome.state == ParseOutcome::State::need_more) {
      const Clock::time_point zero{};
      if (connection.request_started == zero) connection.request_started = Clock::now();
      if (outcome.head_complete && connection.body_started == zero) connection.body_started = Clock::now();
      if (outcome.expects_continue && !connection.sent_continue) {
        connection.output += "HTTP/1.1 100 Continue\r\n\r\n";
        connection.sent_continue = true;
      }
      return;
    }
    if (outcome.state == ParseOutcome::State::invalid) {
      Request request;
      connection.keep_alive = false;
      connection.head_only = false;
      connection.input.clear();
      answer(connection, error(request, outcome.error_status, error_code(outcome.error_status), outcome.error_message));
      connection.draining = true;  // the rest of what it sends cannot be framed
      return;
    }
    connection.input.erase(0, outcome.consumed);
    connection.sent_continue = false;
    connection.request_started = connection.body_started = Clock::time_point{};
    dispatch(connection, parsed);
  }
}

void IoLoop::dispatch(Connection& connection, ParsedRequest& parsed) {
  connection.keep_alive = parsed.keep_alive;
  connection.head_only = parsed.method == "HEAD";
  auto request = std::make_shared<Request>(to_request(parsed));
  request->peer = connection.peer;
  request->client_subject = connection.client_subject;
  if (connection.caller && request->authorization == connection.authorization) request->caller = connection.caller;
  Resolution resolution = router_.resolve(*request);
  if (request->caller != connection.caller) {
    connection.caller = request->caller;
    connection.authorization = request->authorization;
  }
  if (resolution.stream_handler) return open_stream(connection, *resolution.stream_handler, parsed, std::move(request));
  if (resolution.async_handler) return run_async(connection, *resolution.async_handler, std::move(request));
  if (!resolution.handler) return answer(connection, resolution.refusal);
  if (resolution.runs != Runs::on_worker) {
    request->may_wait = false;
    Response response = call_handler(*resolution.handler, *request);
    if (!response.wants_worker()) return answer(connection, response);
    request->may_wait = true;
    return run_on_worker(
        connection, [rest = response.rest](const Request&) { return (*rest)(); }, std::move(request));
  }
  run_on_worker(connection, *resolution.handler, std::move(request));
}

void IoLoop::run_on_worker(Connection& connection, Handler handler, std::shared_ptr<Request> request) {
  connection.awaiting_answer = true;
  const bool queued = workers_.try_submit([this, key = connection.key, handler = std::move(handler), request] {
    auto response = std::make_shared<Response>(call_handler(handler, *request));
    post([this, key, response] { finish(key, *response); });
  });
  if (!queued) {
    connection.awaiting_answer = false;
    answer(connection, error(*request, 503, "server_busy", "too many requests are waiting for a worker; retry later"));
  }
}

void IoLoop::run_async(Connection& connection, const AsyncHandler& handler, std::shared_ptr<Request> request) {
  connection.awaiting_answer = true;
  // The reply may come after the server is gone: it then finds no loop and is dropped.
  // A read parked with a credential revoked meanwhile (a watch) answers 401, not what it waited for.
  const bool read = request->method == "GET" || request->method == "HEAD";
  Reply reply = [loop = weak_from_this(), key = connection.key, caller = read ? request->caller : nullptr](Response response) {
    if (caller && caller->revoked()) response = error(Request{}, 401, "unauthenticated", "token " + caller->id() + " was revoked");
    if (auto alive = loop.lock())
      alive->post(
          [alive = alive.get(), key, response = std::move(response)]() mutable { alive->finish(key, std::move(response).built()); });
  };
  try {
    handler(*request, std::move(reply));
  } catch (const std::exception& failure) {
    spdlog::error("{} {} failed: {}", request->method, request->path, failure.what());
    connection.awaiting_answer = false;
    answer(connection, error(*request, 500, "internal_error", std::string("the hub failed to answer: ") + failure.what()));
  }
}

void IoLoop::open_stream(Connection& connection, const StreamHandler& handler, const ParsedRequest& parsed,
                         std::shared_ptr<Request> request) {
  if (!parsed.upgrade_websocket)
    return answer(connection, error(*request, 426, "upgrade_required", request->path + " is a WebSocket: connect with Upgrade: websocket"));
  if (parsed.websocket_version != "13" || parsed.websocket_key.empty())
    return answer(connection,
                  error(*request, 400, "bad_request", "a WebSocket handshake needs Sec-WebSocket-Key and Sec-WebSocket-Version: 13"));
  connection.output += "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " +
                       websocket::accept_key(parsed.websocket_key) + "\r\n" +
                       (parsed.websocket_hub_protocol ? "Sec-WebSocket-Protocol: hub\r\n\r\n" : "\r\n");
  connection.websocket = true;
  connection.channel = std::make_shared<Channel>(weak_from_this(), connection.key);
  // A stream lasts as long as its client: revoking the credential it opened with ends it.
  if (request->caller)
    connection.revocation = request->caller->on_revoke([channel = std::weak_ptr<Channel>(connection.channel)] {
      if (auto open = channel.lock()) open->close("the credential this stream was opened with was revoked");
    });
  try {
    handler(*request, connection.channel);
  } catch (const std::exception& failure) {
    spdlog::error("{} {} failed: {}", request->method, request->path, failure.what());
    websocket::append_frame(connection.output, websocket::close, std::string("\x03\xf3", 2) + "internal error");  // 1011
    connection.closing = true;
  }
}

// Frames from a client of a push stream: pings are answered, a close is returned, data is ignored.
void IoLoop::serve_websocket(Connection& connection) {
  while (!connection.closing && !connection.input.empty()) {
    websocket::Frame frame = websocket::parse_client_frame(connection.input, limits_.parse.max_body_bytes);
    if (frame.state == websocket::Frame::State::need_more) return;
    if (frame.state == websocket::Frame::State::invalid) {
      websocket::append_frame(connection.output, websocket::close, std::string("\x03\xea", 2) + frame.problem);  // 1002
      connection.closing = true;
      return;
    }
    connection.input.erase(0, frame.consumed);
    if (frame.opcode == websocket::ping) websocket::append_frame(connection.output, websocket::pong, frame.payload);
    if (frame.opcode == websocket::close) {
      websocket::append_frame(connection.output, websocket::close, frame.payload.substr(0, 2));
      connection.closing = true;
    }
  }
}

void IoLoop::push(uint64_t key, const std::string& text, bool last) {
  auto found = connections_.find(key);
  if (found == connections_.end() || !found->second->websocket || found->second->closing) return;
  Connection& connection = *found->second;
  // A client that stops reading is not kept behind an ever longer queue: its stream ends, and it
  // reconnects to read the state afresh.
  const bool backlogged = !last && connection.output.size() - connection.output_sent > kPushBacklog;
  if (last || backlogged) {
    const std::string reason = backlogged ? "the client read too slowly; messages were dropped" : text.substr(0, 120);
    websocket::append_frame(connection.output, websocket::close, std::string("\x03\xf0", 2) + reason);  // 1008
    connection.closing = true;
  } else {
    websocket::append_frame(connection.output, websocket::text, text);
  }
  flush(connection);
  finish_if_done(connection);
}

// An answer that was waited for reaches its connection, if the client is still there.
void IoLoop::finish(uint64_t key, const Response& response) {
  auto found = connections_.find(key);
  if (found == connections_.end()) return;
  Connection& waiting = *found->second;
  waiting.awaiting_answer = false;
  answer(waiting, response);
  pump(waiting);
}

void IoLoop::answer(Connection& connection, const Response& response) {
  append_response(connection.output, response, connection.keep_alive, connection.head_only);
  if (!connection.keep_alive) connection.closing = true;
}

void IoLoop::flush(Connection& connection) {
  while (connection.output_sent < connection.output.size()) {
    const char* data = connection.output.data() + connection.output_sent;
    const size_t size = connection.output.size() - connection.output_sent;
    const ssize_t n = connection.tls ? connection.tls->send(data, size) : ::send(connection.fd, data, size, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) connection.peer_closed = true, connection.closing = true;
      if (errno != EINTR) return;
      continue;
    }
    connection.output_sent += static_cast<size_t>(n);
  }
  connection.output.clear();
  connection.output_sent = 0;
}

void IoLoop::finish_if_done(Connection& connection) {
  const bool written = connection.output.empty();
  if (connection.awaiting_answer) {
    if (connection.peer_closed && !written) close(connection);  // nobody left to read the rest
    return;
  }
  if (!written) return;
  if (connection.draining) {
    if (connection.peer_closed) return close(connection);
    ::shutdown(connection.fd, SHUT_WR);  // the answer is out; let the client read it before the reset
    return;
  }
  if (connection.closing || connection.peer_closed) close(connection);
}

void IoLoop::close(Connection& connection) {
  connections_.erase(connection.key);  // the destructor closes the socket, which leaves the epoll set
}

void IoLoop::run_posted() {
  std::vector<std::function<void()>> tasks;
  std::vector<int> fds;
  {
    std::lock_guard lock(posted_mutex_);
    tasks.swap(posted_);
    fds.swap(handed_over_);
  }
  for (int fd : fds) adopt(fd);
  for (auto& task : tasks) task();
}

void IoLoop::sweep(Clock::time_point now) {
  if (!accepting_ && now >= accept_paused_until_) {
    watch(listen_fd_, kListenKey, EPOLLIN);
    accepting_ = true;
  }
  if (now < next_sweep_) return;
  next_sweep_ = now + std::chrono::seconds(1);
  for (BurstLog* log : {&accept_failures_, &refusals_, &evictions_})
    if (auto swallowed = log->leftover(now)) spdlog::warn("HTTP: {} more refused, evicted or failed accepts in the last burst", *swallowed);
  std::vector<uint64_t> expired, late;
  const Clock::time_point zero{};
  for (const auto& [key, connection] : connections_) {
    const auto idle = now - connection->last_activity;
    const bool waits = connection->awaiting_answer || connection->websocket;  // push streams live as long as their client
    if ((connection->draining && idle > kLingerAfterError) || (!waits && idle > limits_.idle_timeout)) {
      expired.push_back(key);
      continue;
    }
    // Every byte resets the idle timer: a request that trickles in is held to deadlines of its own.
    if (waits || connection->draining || connection->closing || connection->request_started == zero) continue;
    if (connection->body_started == zero ? now - connection->request_started > limits_.header_timeout
                                         : now - connection->body_started > limits_.body_timeout)
      late.push_back(key);
  }
  for (uint64_t key : expired) connections_.erase(key);
  for (uint64_t key : late) {
    Connection& connection = *connections_.at(key);
    if (connection.body_started == zero)
      time_out(connection, "head", limits_.header_timeout);
    else
      time_out(connection, "body", limits_.body_timeout);
  }
}

void IoLoop::time_out(Connection& connection, const std::string& what, std::chrono::seconds limit) {
  Request request;
  connection.keep_alive = false;
  connection.head_only = false;
  connection.input.clear();
  answer(connection,
         error(request, 408, error_code(408),
               "the request " + what + " did not arrive within " + std::to_string(limit.count()) + " s; the connection closes"));
  connection.draining = true;
  flush(connection);
  finish_if_done(connection);
}

}  // namespace hub::http
