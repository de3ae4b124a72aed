// One keep-alive connection to a hub, one request at a time: what the client, the performance
// tracker and the error reporter send their requests over. Given several hubs, a request the hub
// could not take (no answer, a 5xx) goes on to the next (HubAddresses).
#pragma once

#include "hub_addresses.hpp"

#include <Poco/Net/HTTPClientSession.h>

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
  // hub_url: http://… or https://…, or several separated by commas; a token and CA file as the
  // ClientOptions say (not the environment's).
  Connection(const std::string& hub_url, std::string token, std::string ca_file, std::chrono::milliseconds timeout);

  // Throws ClientError(0, …) when no hub can be reached; any other status is a Reply (a 5xx when
  // every hub answered so).
  Reply exchange(const std::string& method, const std::string& path, const std::string& content_type, const std::string& payload,
                 const std::string& accept) const;
  const std::string& hub_url() const { return hubs_.urls(); }

 private:
  // One hub; throws Poco::Exception when it cannot be reached.
  Reply exchange_with(size_t hub, const std::string& method, const std::string& path, const std::string& content_type,
                      const std::string& payload, const std::string& accept) const;

  mutable HubAddresses hubs_;
  const std::string token_;
  const std::string ca_file_;
  const std::chrono::milliseconds timeout_;
  mutable std::mutex mutex_;
  mutable std::unique_ptr<Poco::Net::HTTPClientSession> session_;
  mutable size_t session_hub_ = 0;  // the hub session_ is open to
};

}  // namespace hub::client
