#include "connection.hpp"

#include "hub_session.hpp"

#include <hub/client.hpp>

#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>

#include <iterator>
#include <stdexcept>

namespace hub::client {

Connection::Connection(const std::string& hub_url, std::string token, std::string ca_file, std::chrono::milliseconds timeout)
    : hub_url_(hub_url), base_(hub_url), token_(std::move(token)), ca_file_(std::move(ca_file)), timeout_(timeout) {
  if ((base_.getScheme() != "http" && base_.getScheme() != "https") || base_.getHost().empty())
    throw std::invalid_argument("hub_url: \"" + hub_url + "\" is not an http://HOST:PORT or https://HOST:PORT URL");
}

Reply Connection::exchange(const std::string& method, const std::string& path, const std::string& content_type, const std::string& payload,
                           const std::string& accept) const {
  std::lock_guard lock(mutex_);
  const QuietPipe quiet;
  for (int attempt = 0;; ++attempt) {
    try {
      if (!session_) {
        session_ = open_session(base_, ca_file_);
        session_->setTimeout(Poco::Timespan(std::chrono::duration_cast<std::chrono::microseconds>(timeout_).count()));
        session_->setKeepAlive(true);
      }
      Poco::Net::HTTPRequest request(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
      request.set("Accept", accept);
      authorize(request, token_);
      request.setKeepAlive(true);
      if (!payload.empty() || !content_type.empty()) {
        request.setContentType(content_type);
        request.setContentLength(static_cast<std::streamsize>(payload.size()));
      }
      session_->sendRequest(request) << payload;
      Poco::Net::HTTPResponse response;
      std::istream& in = session_->receiveResponse(response);
      Reply reply{response.getStatus(), std::string(std::istreambuf_iterator<char>(in), {})};
      return reply;
    } catch (const Poco::Exception& error) {
      session_.reset();
      // A kept-alive connection the hub closed fails once; a fresh one tells the truth.
      if (attempt == 0) continue;
      throw ClientError(0, "cannot reach the hub at " + hub_url_ + ": " + error.displayText());
    }
  }
}

}  // namespace hub::client
