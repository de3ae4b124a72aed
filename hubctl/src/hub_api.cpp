#include "hub_api.hpp"

#include "connection.hpp"

#include <hub/client.hpp>

#include <Poco/URI.h>

namespace hubctl {

Exit HubFailure::exit_code() const {
  if (status_ == 0 || status_ >= 500) return Exit::unavailable;
  if (status_ == 404) return Exit::not_found;
  if (status_ == 409) return Exit::conflict;
  return Exit::refused;
}

HubApi::HubApi(const Settings& settings)
    : connection_(std::make_unique<hub::client::Connection>(settings.hub, settings.token, settings.ca_file, std::chrono::seconds(70))) {}

HubApi::~HubApi() = default;

namespace {

[[noreturn]] void refuse(const std::string& method, const std::string& path, const hub::client::Reply& reply) {
  const Json answer = Json::parse(reply.body, nullptr, false);
  const std::string message =
      answer.is_object() && answer.contains("message") ? answer["message"].get<std::string>() : reply.body.substr(0, 300);
  throw HubFailure(reply.status, method + " " + path + ": " + std::to_string(reply.status) + " " + message);
}

}  // namespace

std::string HubApi::raw(const std::string& method, const std::string& path, const std::string& body,
                        const std::string& content_type) const {
  hub::client::Reply reply;
  try {
    reply = connection_->exchange(method, path, content_type, body, "application/octet-stream, application/json");
  } catch (const hub::ClientError& error) {
    throw HubFailure(0, error.what());
  }
  if (reply.status >= 400) refuse(method, path, reply);
  return reply.body;
}

Json HubApi::call(const std::string& method, const std::string& path, const Json& body) const {
  const std::string answer = raw(method, path, body.is_null() ? "" : body.dump(), body.is_null() ? "" : "application/json");
  Json parsed = Json::parse(answer, nullptr, false);
  if (parsed.is_discarded()) throw HubFailure(200, method + " " + path + ": the answer is not JSON");
  return parsed;
}

std::string escaped(const std::string& text) {
  std::string out;
  Poco::URI::encode(text, "/?#&=+ %", out);
  return out;
}

}  // namespace hubctl
