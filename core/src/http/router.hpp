// Maps METHOD + path pattern ("/services/{name}") to a handler.
#pragma once

#include <functional>
#include <map>
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
  std::map<std::string, std::string> params;  // from the pattern's {names}, decoded
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
};

using Handler = std::function<Response(const Request&)>;

// %XX and '+' decoded; nullopt for a malformed escape.
std::optional<std::string> url_decode(const std::string& text);
// "a=1&b=x%20y" -> {a: 1, b: "x y"}; nullopt for a malformed escape.
std::optional<std::map<std::string, std::string>> parse_query(const std::string& query);

class Router {
 public:
  void add(const std::string& method, const std::string& pattern, Handler handler);
  // 404 when no pattern matches, 405 (naming the allowed methods) when only the method does not.
  Response dispatch(Request& request) const;

 private:
  struct Route {
    std::string method;
    std::vector<std::string> segments;
    Handler handler;
  };
  static std::optional<std::map<std::string, std::string>> match(const Route& route, const std::vector<std::string>& segments);
  std::vector<Route> routes_;
};

}  // namespace hub::http
