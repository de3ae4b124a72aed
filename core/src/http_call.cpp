#include <hub/http_call.hpp>

#include <Poco/Exception.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>
#include <Poco/URI.h>

#include <stdexcept>

namespace hub {

HttpReply http_call(const std::string& method, const std::string& url, const HttpCallOptions& options) {
  try {
    const Poco::URI uri(url);
    Poco::Net::HTTPClientSession session(uri.getHost(), uri.getPort());
    session.setTimeout(Poco::Timespan(std::chrono::duration_cast<std::chrono::microseconds>(options.timeout).count()));
    Poco::Net::HTTPRequest request(method, uri.getPathAndQuery(), Poco::Net::HTTPMessage::HTTP_1_1);
    if (!options.accept.empty()) request.set("Accept", options.accept);
    if (!options.body.empty() || method == "POST" || method == "PUT") {
      request.setContentType(options.content_type);
      request.setContentLength(static_cast<std::streamsize>(options.body.size()));
    }
    session.sendRequest(request) << options.body;
    Poco::Net::HTTPResponse response;
    std::istream& stream = session.receiveResponse(response);
    HttpReply reply;
    reply.status = response.getStatus();
    reply.content_type = response.getContentType();
    Poco::StreamCopier::copyToString(stream, reply.body);
    return reply;
  } catch (const Poco::Exception& error) {
    throw std::runtime_error(method + " " + url + ": " + error.displayText());
  }
}

}  // namespace hub
