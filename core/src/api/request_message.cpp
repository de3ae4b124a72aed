#include "request_message.hpp"

#include "json_message.hpp"

#include "http/encoding.hpp"
#include "http/json_body.hpp"

namespace hub::api {

http::Response bad_request(const http::Request& request, const std::string& message) {
  return http::error(request, 400, "invalid_argument", message + "; nothing was changed");
}

std::optional<http::Response> parse(const http::Request& request, google::protobuf::Message& message) {
  if (request.content_type.find(http::kProtobufType) != std::string::npos) {
    if (!message.ParseFromString(request.body))
      return bad_request(request, "the body is not a valid " + message.GetTypeName() + " message");
    return std::nullopt;
  }
  if (request.body.find_first_not_of(" \t\r\n") == std::string::npos)
    return bad_request(request, "the request body is empty; expected a JSON object");
  std::string problem;
  const auto body = http::parse_json_body(request.body, kMaxBodyDepth, problem);
  if (!body) return bad_request(request, "invalid JSON body: " + problem);
  if (Status failed = read_json_message(*body, message)) return bad_request(request, "invalid JSON body: " + failed.message());
  return std::nullopt;
}

}  // namespace hub::api
