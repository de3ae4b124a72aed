#include "webhook_sender.hpp"

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/URI.h>

#include <algorithm>
#include <random>

namespace hub {

WebhookSender::WebhookSender(std::vector<WebhookSink> sinks, Metrics& metrics, std::shared_ptr<spdlog::logger> logger)
    : sinks_(std::move(sinks)), metrics_(metrics), logger_(std::move(logger)), thread_([this] { run(); }) {}

WebhookSender::~WebhookSender() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void WebhookSender::send(const std::string& alert_json) {
  {
    std::lock_guard lock(mutex_);
    for (size_t sink = 0; sink < sinks_.size(); ++sink) {
      if (queue_.size() >= kMaxQueued) {
        queue_.pop_front();
        metrics_.counter_add("hub_alert_webhooks_dropped_total", 1);
      }
      queue_.push_back({sink, alert_json, 0, std::chrono::steady_clock::now()});
    }
  }
  wake_.notify_all();
}

bool WebhookSender::post(const WebhookSink& sink, const std::string& body, std::string& failure) const {
  try {
    const Poco::URI uri(sink.url);
    Poco::Net::HTTPClientSession session(uri.getHost(), uri.getPort());
    session.setTimeout(Poco::Timespan(static_cast<long>(sink.timeout_ms) * 1000));
    Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_POST, uri.getPathAndQuery().empty() ? "/" : uri.getPathAndQuery(),
                                   Poco::Net::HTTPMessage::HTTP_1_1);
    request.setContentType("application/json");
    request.setContentLength(static_cast<std::streamsize>(body.size()));
    session.sendRequest(request) << body;
    Poco::Net::HTTPResponse response;
    session.receiveResponse(response).ignore(1 << 20);
    if (response.getStatus() >= 200 && response.getStatus() < 300) return true;
    failure = "answered " + std::to_string(response.getStatus()) + " " + response.getReason();
  } catch (const Poco::Exception& error) {
    failure = error.displayText();
  } catch (const std::exception& error) {
    failure = error.what();
  }
  return false;
}

void WebhookSender::run() {
  std::mt19937 random(std::random_device{}());
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    if (queue_.empty()) {
      wake_.wait(lock);
      continue;
    }
    // The delivery due first; others wait their turn, so one backing-off sink delays nobody.
    auto next =
        std::min_element(queue_.begin(), queue_.end(), [](const Delivery& a, const Delivery& b) { return a.not_before < b.not_before; });
    if (next->not_before > std::chrono::steady_clock::now()) {
      wake_.wait_until(lock, next->not_before);
      continue;
    }
    Delivery delivery = std::move(*next);
    queue_.erase(next);
    lock.unlock();
    const WebhookSink& sink = sinks_[delivery.sink];
    std::string failure;
    const bool delivered = post(sink, delivery.body, failure);
    ++delivery.attempt;
    lock.lock();
    if (delivered) {
      metrics_.counter_add("hub_alert_webhooks_delivered_total", 1);
    } else if (delivery.attempt >= sink.max_attempts) {
      metrics_.counter_add("hub_alert_webhooks_failed_total", 1);
      logger_->error("alert webhook {} failed {} time(s), giving up on this alert: {}", sink.url, delivery.attempt, failure);
    } else {
      // Exponential backoff with equal jitter: half fixed, half random.
      const int64_t backoff = static_cast<int64_t>(sink.first_backoff_ms) << std::min(delivery.attempt - 1, 16);
      const int64_t wait_ms = backoff / 2 + std::uniform_int_distribution<int64_t>(0, backoff / 2)(random);
      logger_->warn("alert webhook {} failed (attempt {} of {}), retrying in {} ms: {}", sink.url, delivery.attempt, sink.max_attempts,
                    wait_ms, failure);
      delivery.not_before = std::chrono::steady_clock::now() + std::chrono::milliseconds(wait_ms);
      queue_.push_back(std::move(delivery));
    }
  }
}

}  // namespace hub
