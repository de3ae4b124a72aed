#include "router.hpp"

#include "encoding.hpp"

#include <future>
#include <memory>

namespace hub::http {

std::shared_ptr<const Request> answerable(const Request& request) {
  auto copy = std::make_shared<Request>();
  copy->method = request.method;
  copy->path = request.path;
  copy->query = request.query;
  copy->content_type = request.content_type;
  copy->wants_protobuf = request.wants_protobuf;
  copy->params = request.params;
  copy->peer = request.peer;
  copy->client_subject = request.client_subject;
  copy->caller = request.caller;
  return copy;
}

namespace {

std::vector<std::string> split(const std::string& path) {
  std::vector<std::string> segments;
  size_t at = 0;
  while (at < path.size()) {
    size_t slash = path.find('/', at);
    if (slash == std::string::npos) slash = path.size();
    if (slash > at) segments.push_back(path.substr(at, slash - at));
    at = slash + 1;
  }
  return segments;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::optional<std::string> url_decode(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+') {
      out += ' ';
    } else if (text[i] != '%') {
      out += text[i];
    } else {
      if (i + 2 >= text.size()) return std::nullopt;
      const int high = hex_digit(text[i + 1]), low = hex_digit(text[i + 2]);
      if (high < 0 || low < 0) return std::nullopt;
      out += static_cast<char>(high * 16 + low);
      i += 2;
    }
  }
  return out;
}

std::optional<std::map<std::string, std::string>> parse_query(const std::string& query) {
  std::map<std::string, std::string> values;
  size_t at = 0;
  while (at < query.size()) {
    size_t amp = query.find('&', at);
    if (amp == std::string::npos) amp = query.size();
    const std::string pair = query.substr(at, amp - at);
    const size_t equals = pair.find('=');
    auto key = url_decode(pair.substr(0, equals));
    auto value = url_decode(equals == std::string::npos ? "" : pair.substr(equals + 1));
    if (!key || !value) return std::nullopt;
    if (!key->empty()) values[*key] = *value;
    at = amp + 1;
  }
  return values;
}

namespace {

bool reads(const std::string& method) {
  return method == "GET" || method == "HEAD";
}

}  // namespace

void Router::guard(Classify classify, Gate gate, Observer observer) {
  classify_ = std::move(classify);
  gate_ = std::move(gate);
  observer_ = std::move(observer);
  for (Route& route : routes_) route.route_class = classify_(route.method, route.pattern);
}

void Router::add_route(Route route) {
  if (classify_) route.route_class = classify_(route.method, route.pattern);
  routes_.push_back(std::move(route));
}

// The observer is looked up when a request comes, so guard() may come after the routes.
Handler Router::observed(Handler handler) const {
  return [this, handler = std::move(handler)](const Request& request) {
    auto told = observer_ ? observer_(request) : nullptr;
    Response response = handler(request);
    if (!told) return response;
    if (response.wants_worker()) {
      response.rest = std::make_shared<const std::function<Response()>>([rest = response.rest, told] {
        Response answer = (*rest)();
        told(answer);
        return answer;
      });
    } else {
      told(response);
    }
    return response;
  };
}

AsyncHandler Router::observed(AsyncHandler handler) const {
  return [this, handler = std::move(handler)](const Request& request, Reply reply) {
    auto told = observer_ ? observer_(request) : nullptr;
    if (!told) return handler(request, std::move(reply));
    handler(request, [reply = std::move(reply), told](Response response) {
      if (!response.build) {
        told(response);
        return reply(std::move(response));
      }
      reply(Response::built_on_io_thread([build = response.build, told] {
        Response answer = (*build)();
        told(answer);
        return answer;
      }));
    });
  };
}

void Router::add(const std::string& method, const std::string& pattern, Handler handler, Runs runs) {
  if (!reads(method)) handler = observed(std::move(handler));
  add_route({method, pattern, split(pattern), 0, std::move(handler), runs, {}, {}});
}

void Router::add_stream(const std::string& pattern, StreamHandler handler) {
  add_route({"GET", pattern, split(pattern), 0, {}, Runs::on_io_thread, {}, std::move(handler)});
}

void Router::add_async(const std::string& method, const std::string& pattern, AsyncHandler handler) {
  if (!reads(method)) handler = observed(std::move(handler));
  add_route({method, pattern, split(pattern), 0, {}, Runs::on_io_thread, std::move(handler), {}});
}

std::optional<std::map<std::string, std::string>> Router::match(const Route& route, const std::vector<std::string>& segments) {
  if (route.segments.size() != segments.size()) return std::nullopt;
  std::map<std::string, std::string> params;
  for (size_t i = 0; i < segments.size(); ++i) {
    const std::string& expected = route.segments[i];
    if (expected.size() > 2 && expected.front() == '{' && expected.back() == '}') {
      auto decoded = url_decode(segments[i]);
      if (!decoded) return std::nullopt;
      params[expected.substr(1, expected.size() - 2)] = *decoded;
    } else if (expected != segments[i])
      return std::nullopt;
  }
  return params;
}

Resolution Router::resolve(Request& request) const {
  const std::vector<std::string> segments = split(request.path);
  const std::string method = request.method == "HEAD" ? "GET" : request.method;
  std::string allowed;
  for (const Route& route : routes_) {
    auto params = match(route, segments);
    if (!params) continue;
    if (route.method == method) {
      request.params = std::move(*params);
      if (gate_) {
        if (std::optional<Response> refusal = gate_(request, route.route_class)) {
          if (observer_ && !reads(request.method))
            if (auto told = observer_(request)) told(*refusal);
          Resolution refused;
          refused.refusal = std::move(*refusal);
          return refused;
        }
      }
      if (route.stream_handler) return {nullptr, nullptr, &route.stream_handler, route.runs, {}};
      if (route.async_handler) return {nullptr, &route.async_handler, nullptr, route.runs, {}};
      return {&route.handler, nullptr, nullptr, route.runs, {}};
    }
    allowed += (allowed.empty() ? "" : ", ") + route.method;
  }
  Resolution refused;
  if (!allowed.empty())
    refused.refusal =
        error(request, 405, "method_not_allowed", request.method + " is not allowed on " + request.path + "; allowed: " + allowed);
  else
    refused.refusal = error(request, 404, "not_found", "no such endpoint: " + request.method + " " + request.path);
  return refused;
}

Response Router::dispatch(Request& request) const {
  Resolution resolution = resolve(request);
  if (resolution.handler) return (*resolution.handler)(request);
  if (resolution.stream_handler)
    return error(request, 426, "upgrade_required", request.path + " is a WebSocket: connect with Upgrade: websocket");
  if (!resolution.async_handler) return std::move(resolution.refusal);
  auto answer = std::make_shared<std::promise<Response>>();
  (*resolution.async_handler)(request, [answer](Response response) { answer->set_value(std::move(response).built()); });
  return answer->get_future().get();
}

}  // namespace hub::http
