#include "router.hpp"

#include "encoding.hpp"

namespace hub::http {

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

}  // namespace

void Router::add(const std::string& method, const std::string& pattern, Handler handler) {
  routes_.push_back({method, split(pattern), std::move(handler)});
}

std::optional<std::map<std::string, std::string>> Router::match(const Route& route, const std::vector<std::string>& segments) {
  if (route.segments.size() != segments.size()) return std::nullopt;
  std::map<std::string, std::string> params;
  for (size_t i = 0; i < segments.size(); ++i) {
    const std::string& expected = route.segments[i];
    if (expected.size() > 2 && expected.front() == '{' && expected.back() == '}')
      params[expected.substr(1, expected.size() - 2)] = segments[i];
    else if (expected != segments[i])
      return std::nullopt;
  }
  return params;
}

Response Router::dispatch(Request& request) const {
  const std::vector<std::string> segments = split(request.path);
  std::string allowed;
  for (const Route& route : routes_) {
    auto params = match(route, segments);
    if (!params) continue;
    if (route.method == request.method) {
      request.params = std::move(*params);
      return route.handler(request);
    }
    allowed += (allowed.empty() ? "" : ", ") + route.method;
  }
  if (!allowed.empty())
    return error(request, 405, "method_not_allowed", request.method + " is not allowed on " + request.path + "; allowed: " + allowed);
  return error(request, 404, "not_found", "no such endpoint: " + request.method + " " + request.path);
}

}  // namespace hub::http
