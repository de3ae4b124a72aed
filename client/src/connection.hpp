// One keep-alive connection to the hub, one request at a time: what the client, the performance
// tracker and the error reporter send their requests over.
#pragma once

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/URI.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <string>

namespace hub::client {

struct Reply {
  int status = 0;
  std::string body;
};

// No answer (status 0), a 5xx or a 429: the same request may be taken later, as Python's
// HubError.transient says. A 4xx would be refused again.
inline bool transient(int status) {
  return status == 0 || status == 429 || status >= 500;
}

class Connection {
 public:
  // hub_url http://… or https://…; a token and CA file as the ClientOptions say (not the environment's).
  Connection(const std::string& hub_url, std::string token, std::string ca_file, std::chrono::milliseconds timeout);

  // Throws ClientError(0, …) when the hub cannot be reached; any status is a Reply.
  Reply exchange(const std::string& method, const std::string& path, const std::string& content_type, const std::string& payload,
                 const std::string& accept) const;
  const std::string& hub_url() const { return hub_url_; }

 private:
  const std::string hub_url_;
  const Poco::URI base_;
  const std::string token_;
  const std::string ca_file_;
  const std::chrono::milliseconds timeout_;
  mutable std::mutex mutex_;
  mutable std::unique_ptr<Poco::Net::HTTPClientSession> session_;
};

}  // namespace hub::client
