#include "directive_follower.hpp"

#include "hub_session.hpp"

#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/NetException.h>

#include <nlohmann/json.hpp>

namespace hub::client {

namespace {

// How long one blocking watch waits at the hub; the connection's timeout leaves room over it.
constexpr int kWatchSeconds = 25;

std::string path_escape(const std::string& text) {
  std::string out;
  Poco::URI::encode(text, "/?#&=+ ", out);
  return out;
}

}  // namespace

DirectiveFollower::DirectiveFollower(Target target, std::function<DirectiveResult(const Directive&)> handler,
                                     std::chrono::milliseconds retry_wait)
    : target_(std::move(target)), hubs_(target_.hub_url), handler_(std::move(handler)), retry_wait_(retry_wait) {
  thread_ = std::thread([this] { run(); });
}

DirectiveFollower::~DirectiveFollower() {
  stop();
}

void DirectiveFollower::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    if (session_) session_->abort();  // ends a watch parked at the hub now, not in 25 s
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool DirectiveFollower::pause(std::chrono::milliseconds wait) {
  std::unique_lock lock(mutex_);
  return !wake_.wait_for(lock, wait, [this] { return stopping_; });
}

void DirectiveFollower::run() {
  uint64_t index = 0;
  while (true) {
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return;
    }
    try {
      if (std::optional<Directive> directive = next(index)) {
        DirectiveResult result;
        try {
          result = handler_(*directive);
        } catch (const std::exception& error) {
          result = {false, error.what()};
        }
        acknowledge(*directive, result);
      }
    } catch (const std::exception&) {
      if (!pause(retry_wait_)) return;  // the hub away or refusing: look again in a while
    }
  }
}

std::optional<Directive> DirectiveFollower::next(uint64_t& index) {
  int status = 0;
  const std::string answer = exchange("GET",
                                      "/directives/" + path_escape(target_.service) + "/" + path_escape(target_.instance_id) +
                                          "?index=" + std::to_string(index) + "&wait=" + std::to_string(kWatchSeconds),
                                      "", status);
  if (status != 200) throw ClientError(status, "directives: " + std::to_string(status) + " " + answer);
  const nlohmann::json body = nlohmann::json::parse(answer);
  const uint64_t now_index = body.value("index", index);
  if (!body.value("changed", false) || !body.contains("directive")) {
    index = now_index;
    return std::nullopt;
  }
  index = now_index;
  const nlohmann::json& d = body["directive"];
  Directive directive{d.value("index", uint64_t{0}), d.value("deployment_id", ""), d.value("action", ""), d.value("version", ""),
                      d.value("reason", "")};
  if (d.contains("ack")) return std::nullopt;  // answered by this instance before (or by the process it replaced)
  if (directive.action == "upgrade" && target_.version && directive.version == target_.version()) {
    acknowledge(directive, {true, "already runs " + directive.version});
    return std::nullopt;
  }
  return directive;
}

void DirectiveFollower::acknowledge(const Directive& directive, const DirectiveResult& result) {
  const nlohmann::json body = {{"index", directive.index}, {"status", result.done ? "done" : "failed"}, {"message", result.message}};
  int status = 0;
  const std::string answer = exchange(
      "POST", "/directives/" + path_escape(target_.service) + "/" + path_escape(target_.instance_id) + "/ack", body.dump(), status);
  // 409: a newer directive replaced it meanwhile; the watch brings that one.
  if (status >= 400 && status != 409) throw ClientError(status, "acknowledging directive: " + answer);
}

std::string DirectiveFollower::exchange(const std::string& method, const std::string& path, const std::string& body, int& status) {
  const QuietPipe quiet;
  Poco::Net::HTTPClientSession* session = nullptr;
  {
    std::lock_guard lock(mutex_);
    if (stopping_) throw ClientError(0, "stopping");
    if (!session_) {
      session_hub_ = hubs_.order().front();
      session_ = open_session(hubs_.uri(session_hub_), target_.ca_file);
      session_->setTimeout(Poco::Timespan(kWatchSeconds + 10, 0));
      session_->setKeepAlive(true);
    }
    session = session_.get();
  }
  try {
    Poco::Net::HTTPRequest request(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
    request.set("Accept", "application/json");
    authorize(request, target_.token);
    request.setKeepAlive(true);
    if (!body.empty()) {
      request.setContentType("application/json");
      request.setContentLength(static_cast<std::streamsize>(body.size()));
    }
    session->sendRequest(request) << body;
    Poco::Net::HTTPResponse response;
    std::istream& in = session->receiveResponse(response);
    status = response.getStatus();
    std::string answer(std::istreambuf_iterator<char>(in), {});
    if (hub_failing(status)) {
      std::lock_guard lock(mutex_);
      hubs_.failed(session_hub_);
      session_.reset();
    } else {
      hubs_.succeeded(session_hub_);
    }
    return answer;
  } catch (const Poco::Exception& error) {
    std::lock_guard lock(mutex_);
    hubs_.failed(session_hub_);
    session_.reset();
    throw ClientError(0, "cannot reach the hub at " + hubs_.url(session_hub_) + ": " + error.displayText());
  }
}

}  // namespace hub::client
