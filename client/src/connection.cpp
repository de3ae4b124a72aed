#include "connection.hpp"

#include "hub_session.hpp"

#include <hub/client.hpp>

#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>

#include <iterator>
#include <optional>
#include <stdexcept>

namespace hub::client {

Connection::Connection(const std::string& hub_url, std::string token, std::string ca_file, std::chrono::milliseconds timeout)
    : hubs_(hub_url), token_(std::move(token)), ca_file_(std::move(ca_file)), timeout_(timeout) {}

Reply Connection::exchange(const std::string& method, const std::string& path, const std::string& content_type, const std::string& payload,
                           const std::string& accept) const {
  std::lock_guard lock(mutex_);
  const QuietPipe quiet;
  std::string unreachable;
  std::optional<Reply> failing;
  for (const size_t hub : hubs_.order()) {
    try {
      Reply reply = exchange_with(hub, method, path, content_type, payload, accept);
      if (!hub_failing(reply.status)) {
        hubs_.succeeded(hub);
        return reply;
      }
      failing = std::move(reply);
    } catch (const Poco::Exception& error) {
      unreachable += (unreachable.empty() ? "" : "; ") + hubs_.url(hub) + ": " + error.displayText();
    }
    hubs_.failed(hub);
    session_.reset();  // the next hub needs a session of its own
  }
  if (failing) return *failing;
  throw ClientError(0, "cannot reach the hub at " + unreachable);
}

Reply Connection::exchange_with(size_t hub, const std::string& method, const std::string& path, const std::string& content_type,
                                const std::string& payload, const std::string& accept) const {
  for (int attempt = 0;; ++attempt) {
    try {
      if (!session_ || session_hub_ != hub) {
        session_ = open_session(hubs_.uri(hub), ca_file_);
        session_->setTimeout(Poco::Timespan(std::chrono::duration_cast<std::chrono::microseconds>(timeout_).count()));
        session_->setKeepAlive(true);
        session_hub_ = hub;
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
      return Reply{response.getStatus(), std::string(std::istreambuf_iterator<char>(in), {})};
    } catch (const Poco::Exception&) {
      session_.reset();
      // A kept-alive connection the hub closed fails once; a fresh one tells the truth.
      if (attempt == 0) continue;
      throw;
    }
  }
}

}  // namespace hub::client
