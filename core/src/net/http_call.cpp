#include <hub/http_call.hpp>

#include "http_fetch.hpp"

#include <stdexcept>

namespace hub {

HttpReply http_call(const std::string& method, const std::string& url, const HttpCallOptions& options) {
  net::FetchRequest request;
  request.method = method;
  request.url = url;
  request.body = options.body;
  request.deadline = std::chrono::steady_clock::now() + options.timeout;
  request.max_body_bytes = size_t{256} << 20;  // callers are tests and tools reading a hub's answers whole
  if (!options.accept.empty()) request.headers.push_back("Accept: " + options.accept);
  if (!options.token.empty()) request.headers.push_back("Authorization: Bearer " + options.token);
  request.ca_file = options.ca_file;
  request.client_certificate = options.client_certificate;
  request.client_key = options.client_key;
  if (!options.body.empty() || method == "POST" || method == "PUT") request.headers.push_back("Content-Type: " + options.content_type);
  try {
    net::FetchAnswer answer = net::fetch(request);
    return {answer.status, std::move(answer.content_type), std::move(answer.body)};
  } catch (const net::FetchError& error) {
    throw std::runtime_error(method + " " + url + ": " + error.what());
  }
}

}  // namespace hub
