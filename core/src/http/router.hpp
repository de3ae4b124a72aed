// Maps METHOD + path pattern ("/services/{name}") to a handler.
#pragma once

#include "security/caller.hpp"

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace hub::http {

struct Request {
  std::string method;
  std::string path;
  std::string query;
  std::string body;
  std::string content_type;
  bool wants_protobuf = false;                // Accept: application/x-protobuf
  bool may_wait = true;                       // false on an I/O thread: see Runs::on_io_thread_first
  std::map<std::string, std::string> params;  // from the pattern's {names}, decoded
  std::string authorization;                  // the Authorization header
  std::string peer;                           // the client's IP address
  std::string client_subject;                 // TLS: a verified client certificate's subject common name
  // Who the router's gate found sent it; null without a gate. Before the gate, the caller the same
  // connection's last request established with the same credential, for the gate to check again.
  std::shared_ptr<const security::Caller> caller;
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::string headers;  // more header lines, each "Name: value\r\n"

  // What a Runs::on_io_thread_first handler answers when it finds the rest must wait: `rest` runs
  // on a worker, with the request still alive, and its answer is the request's.
  std::shared_ptr<const std::function<Response()>> rest;

  static Response to_worker(std::function<Response()> rest) {
    Response response{0, {}, {}};
    response.rest = std::make_shared<const std::function<Response()>>(std::move(rest));
    return response;
  }
  bool wants_worker() const { return rest != nullptr; }

  // What an async handler replies from a thread that serves others (the one committing writes):
  // `build` runs on the I/O thread that writes the answer, so encoding it costs that thread alone.
  std::shared_ptr<const std::function<Response()>> build;
  static Response built_on_io_thread(std::function<Response()> build) {
    Response response{0, {}, {}};
    response.build = std::make_shared<const std::function<Response()>>(std::move(build));
    return response;
  }
  Response built() && { return build ? (*build)() : std::move(*this); }
};

using Handler = std::function<Response(const Request&)>;
// Answers later, from any thread, exactly once (a blocking query, a push).
using Reply = std::function<void(Response)>;
using AsyncHandler = std::function<void(const Request&, Reply)>;
// The request as an answer given later needs it (to encode the answer), without its body: an async
// handler's request is gone once the handler returns.
std::shared_ptr<const Request> answerable(const Request& request);

// A WebSocket the hub pushes text messages into, from any thread.
class PushChannel {
 public:
  virtual ~PushChannel() = default;
  virtual void send(std::string text) = 0;  // dropped once the client has gone
  virtual bool open() const = 0;
  // Ends the stream with a close frame (1008) carrying `reason`.
  virtual void close(std::string reason) = 0;
  // `gone` runs once when the client's connection closes (at once if it already has), so
  // whatever the stream parked for it can be released then rather than at its timeout.
  virtual void on_close(std::function<void()> gone) = 0;
};
using StreamHandler = std::function<void(const Request&, std::shared_ptr<PushChannel>)>;

// Where the HTTP front runs a handler. Handlers that only read memory answer on
// the I/O thread that read the request; anything that may wait (storage, a
// probe) runs on a worker, so a slow database never stalls other connections.
// on_io_thread_first suits handlers that rarely wait (a heartbeat that changes
// a status must store it): they run on the I/O thread with may_wait false and,
// when they would wait, change nothing and answer Response::to_worker() to be
// run again on a worker.
enum class Runs { on_worker, on_io_thread, on_io_thread_first };

// The route a request resolved to, or the 404/405 that refuses it.
struct Resolution {
  const Handler* handler = nullptr;
  const AsyncHandler* async_handler = nullptr;    // runs on the I/O thread and must not block
  const StreamHandler* stream_handler = nullptr;  // the same, after the WebSocket handshake
  Runs runs = Runs::on_worker;
  Response refusal;
};

// %XX and '+' decoded; nullopt for a malformed escape.
std::optional<std::string> url_decode(const std::string& text);
// "a=1&b=x%20y" -> {a: 1, b: "x y"}; nullopt for a malformed escape.
std::optional<std::map<std::string, std::string>> parse_query(const std::string& query);

// Sorts each route into one of the gate's classes (who may call it), once, not per request.
using Classify = std::function<int(const std::string& method, const std::string& pattern)>;
// Decides, before any handler runs, whether a request may go on: nullopt admits it (the gate may
// set request.caller), a response refuses it. `route_class` is what Classify said of its route.
using Gate = std::function<std::optional<Response>(Request& request, int route_class)>;
// Told of every request that is not a read (every method but GET and HEAD), refused or not, as it
// starts; what it returns is told the answer when there is one.
using Observer = std::function<std::function<void(const Response&)>(const Request& request)>;

class Router {
 public:
  Router() = default;
  Router(const Router&) = delete;  // its handlers refer to it
  Router& operator=(const Router&) = delete;
  // Before the routes are served; applies to every route, whenever it was added.
  void guard(Classify classify, Gate gate, Observer observer);
  void add(const std::string& method, const std::string& pattern, Handler handler, Runs runs = Runs::on_worker);
  void add_async(const std::string& method, const std::string& pattern, AsyncHandler handler);
  // A GET that upgrades to a WebSocket; plain GETs get 426.
  void add_stream(const std::string& pattern, StreamHandler handler);
  // Fills request.params. A refusal is 404 when no pattern matches, 405 (naming
  // the allowed methods) when only the method does not. HEAD resolves as GET.
  Resolution resolve(Request& request) const;
  // resolve() and run the handler on this thread, waiting for an async one's reply.
  Response dispatch(Request& request) const;

 private:
  struct Route {
    std::string method;
    std::string pattern;
    std::vector<std::string> segments;
    int route_class = 0;
    Handler handler;
    Runs runs;
    AsyncHandler async_handler;
    StreamHandler stream_handler;
  };
  static std::optional<std::map<std::string, std::string>> match(const Route& route, const std::vector<std::string>& segments);
  void add_route(Route route);
  Handler observed(Handler handler) const;
  AsyncHandler observed(AsyncHandler handler) const;
  std::vector<Route> routes_;
  Classify classify_;
  Gate gate_;
  Observer observer_;
};

}  // namespace hub::http
