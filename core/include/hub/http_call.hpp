// One blocking HTTP request, for tests and tools that talk to a hub.
//
//   hub::HttpReply reply = hub::http_call("GET", hub.url() + "/health");
//   EXPECT_EQ(reply.status, 200);
#pragma once

#include <chrono>
#include <string>

namespace hub {

struct HttpReply {
  int status = 0;
  std::string content_type;
  std::string body;
};

struct HttpCallOptions {
  std::string body;
  std::string content_type = "application/json";
  std::string accept;  // e.g. "application/x-protobuf"
  std::chrono::milliseconds timeout{5000};
  std::string token;                           // sent as "Authorization: Bearer TOKEN" when set
  std::string ca_file;                         // HTTPS: the CAs to trust; empty: the system's
  std::string client_certificate, client_key;  // HTTPS: mTLS, PEM files
};

// Throws std::runtime_error when the hub cannot be reached.
HttpReply http_call(const std::string& method, const std::string& url, const HttpCallOptions& options = {});

}  // namespace hub
