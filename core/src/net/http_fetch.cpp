#include "http_fetch.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <mutex>

namespace hub::net {

namespace {

// curl_global_init before the first handle, once per process.
void initialize_curl() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) throw FetchError("libcurl could not be initialized");
  });
}

struct Exchange {
  const FetchRequest& request;
  FetchAnswer answer;
  long allowed_ms = 0;
  size_t header_bytes = 0;
  bool headers_too_large = false;

  static size_t on_header(char* data, size_t size, size_t count, void* self) {
    auto& exchange = *static_cast<Exchange*>(self);
    const size_t bytes = size * count;
    exchange.header_bytes += bytes;
    if (exchange.header_bytes > exchange.request.max_header_bytes) {
      exchange.headers_too_large = true;
      return 0;  // aborts the transfer
    }
    const std::string_view line(data, bytes);
    if (line.starts_with("HTTP/")) {  // a status line: each redirect or 100 Continue starts a new answer
      const size_t code = line.find(' ');
      const size_t words = code == std::string_view::npos ? code : line.find(' ', code + 1);
      exchange.answer.reason.clear();
      if (words != std::string_view::npos) {
        std::string_view reason = line.substr(words + 1);
        while (!reason.empty() && (reason.back() == '\n' || reason.back() == '\r')) reason.remove_suffix(1);
        exchange.answer.reason = std::string(reason.substr(0, 80));
      }
    }
    return bytes;
  }

  static size_t on_body(char* data, size_t size, size_t count, void* self) {
    auto& exchange = *static_cast<Exchange*>(self);
    const size_t bytes = size * count;
    std::string& body = exchange.answer.body;
    const size_t room = exchange.request.max_body_bytes - body.size();
    body.append(data, std::min(bytes, room));
    if (bytes > room) {
      exchange.answer.truncated = true;
      return 0;  // enough is known: stop reading
    }
    return bytes;
  }
};

std::string peer_of(CURL* handle, const std::string& url) {
  char* host = nullptr;
  long port = 0;
  curl_easy_getinfo(handle, CURLINFO_PRIMARY_IP, &host);
  curl_easy_getinfo(handle, CURLINFO_PRIMARY_PORT, &port);
  if (host && *host && port) return std::string(host) + ":" + std::to_string(port);
  const size_t scheme = url.find("://");
  const size_t start = scheme == std::string::npos ? 0 : scheme + 3;
  return url.substr(start, url.find('/', start) - start);
}

std::string failure(CURLcode code, CURL* handle, const Exchange& exchange, const char* detail) {
  const std::string peer = peer_of(handle, exchange.request.url);
  const std::string said = *detail ? detail : curl_easy_strerror(code);
  long os_error = 0;
  curl_easy_getinfo(handle, CURLINFO_OS_ERRNO, &os_error);
  switch (code) {
    case CURLE_COULDNT_RESOLVE_HOST:
      return "resolve " + peer + ": " + said;
    case CURLE_COULDNT_CONNECT:
      return "connect " + peer + ": " + (os_error ? std::strerror(static_cast<int>(os_error)) : said);
    case CURLE_OPERATION_TIMEDOUT:
      return exchange.request.method + " " + exchange.request.url + ": timed out after " + std::to_string(exchange.allowed_ms) + " ms";
    case CURLE_WRITE_ERROR:
      if (exchange.headers_too_large)
        return peer + " sent more than " + std::to_string(exchange.request.max_header_bytes) + " bytes of headers";
      return peer + ": " + said;
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_WEIRD_SERVER_REPLY:
      return peer + " did not answer in HTTP: " + said;
    case CURLE_GOT_NOTHING:
      return peer + " closed the connection before answering";
    case CURLE_PARTIAL_FILE:
      return peer + " closed the connection in the middle of the body: " + said;
    case CURLE_RECV_ERROR:
      return "read from " + peer + ": " + (os_error ? std::strerror(static_cast<int>(os_error)) : said);
    case CURLE_SEND_ERROR:
      return "send to " + peer + ": " + (os_error ? std::strerror(static_cast<int>(os_error)) : said);
    default:
      return peer + ": " + said;
  }
}

}  // namespace

std::string origin(const std::string& scheme, const std::string& host, unsigned port) {
  const bool ipv6 = host.find(':') != std::string::npos && host.front() != '[';
  return scheme + "://" + (ipv6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

FetchAnswer fetch(const FetchRequest& request) {
  initialize_curl();
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(request.deadline - std::chrono::steady_clock::now());
  if (left.count() <= 0) throw FetchError(request.method + " " + request.url + ": no time left before the deadline");
  // One handle per thread, reset for each exchange: making a handle costs more than the exchange itself.
  thread_local std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> handle(curl_easy_init(), &curl_easy_cleanup);
  if (!handle) throw FetchError("libcurl could not make a handle");
  CURL* curl = handle.get();
  curl_easy_reset(curl);
  Exchange exchange{request, {}, static_cast<long>(left.count())};
  char detail[CURL_ERROR_SIZE] = "";
  curl_slist* headers = curl_slist_append(nullptr, "Expect:");  // no wait for a 100 Continue many peers never send
  for (const std::string& header : request.headers) headers = curl_slist_append(headers, header.c_str());
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> header_list(headers, &curl_slist_free_all);

  curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, request.max_redirects > 0 ? 1L : 0L);
  curl_easy_setopt(curl, CURLOPT_MAXREDIRS, request.max_redirects);
  curl_easy_setopt(curl, CURLOPT_PROXY, "");  // never a proxy from the environment: a registrant must not steer the hub
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(left.count()));
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(left.count()));
  curl_easy_setopt(curl, CURLOPT_FORBID_REUSE, 1L);
  curl_easy_setopt(curl, CURLOPT_TCP_NODELAY, 1L);
  curl_easy_setopt(curl, CURLOPT_USERAGENT, "central-hub");
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
  if (!request.ca_file.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, request.ca_file.c_str());
  if (!request.client_certificate.empty()) curl_easy_setopt(curl, CURLOPT_SSLCERT, request.client_certificate.c_str());
  if (!request.client_key.empty()) curl_easy_setopt(curl, CURLOPT_SSLKEY, request.client_key.c_str());
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, detail);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, &Exchange::on_header);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &exchange);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &Exchange::on_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &exchange);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  if (request.method == "HEAD") {
    curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
  } else if (request.method != "GET") {
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  }
  if (!request.body.empty() || request.method == "POST" || request.method == "PUT") {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
  }

  const CURLcode code = curl_easy_perform(curl);
  if (code != CURLE_OK && !(code == CURLE_WRITE_ERROR && exchange.answer.truncated))
    throw FetchError(failure(code, curl, exchange, detail));
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  exchange.answer.status = static_cast<int>(status);
  char* content_type = nullptr;
  if (curl_easy_getinfo(curl, CURLINFO_CONTENT_TYPE, &content_type) == CURLE_OK && content_type)
    exchange.answer.content_type = content_type;
  return std::move(exchange.answer);
}

}  // namespace hub::net
