// How both clients reach the hub: plain HTTP, or HTTPS verified against a CA file (or the
// system's CAs) when the hub's URL says https, and a bearer token on every request.
#pragma once

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/URI.h>

#include <csignal>
#include <memory>
#include <string>

namespace hub::client {

std::unique_ptr<Poco::Net::HTTPClientSession> open_session(const Poco::URI& hub, const std::string& ca_file);
void authorize(Poco::Net::HTTPRequest& request, const std::string& token);
// `given`, or else the environment's `variable`; tokens and CA files come from the service's own
// deployment, never from the hub.
std::string from_environment(const std::string& given, const char* variable);

// While it lives, SIGPIPE is blocked in this thread, and one raised meanwhile is taken back at the
// end. OpenSSL writes with write(): a request over a kept connection the hub closed (it restarted)
// would otherwise end the service's process. As libcurl does around its calls.
class QuietPipe {
 public:
  QuietPipe();
  ~QuietPipe();
  QuietPipe(const QuietPipe&) = delete;
  QuietPipe& operator=(const QuietPipe&) = delete;

 private:
  sigset_t previous_;
  bool pending_before_ = false;
};

}  // namespace hub::client
