#include "webhook_sender.hpp"

#include "net/http_fetch.hpp"

#include <algorithm>
#include <random>

namespace hub {

WebhookSender::WebhookSender(std::vector<WebhookSink> sinks, Metrics& metrics, std::shared_ptr<spdlog::logger> logger)
    : sinks_(std::move(sinks)), metrics_(metrics), logger_(std::move(logger)) {
  metrics_.describe("hub_alert_webhooks_delivered_total", Metrics::Type::counter, "Alert webhook deliveries a receiver accepted.");
  metrics_.describe("hub_alert_webhooks_failed_total", Metrics::Type::counter, "Alert webhook deliveries given up after every attempt.");
  metrics_.describe("hub_alert_webhooks_dropped_total", Metrics::Type::counter, "Alert webhook deliveries dropped from a full queue.");
  thread_ = std::thread([this] { run(); });
}

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
  net::FetchRequest request;
  request.method = "POST";
  request.url = sink.url;
  request.ca_file = sink.ca_file;
  request.headers = {"Content-Type: application/json"};
  request.body = body;
  request.deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(sink.timeout_ms);
  request.max_body_bytes = 4096;  // the receiver's answer is not read, only its status
  try {
    const net::FetchAnswer answer = net::fetch(request);
    if (answer.status >= 200 && answer.status < 300) return true;
    failure = "answered " + std::to_string(answer.status) + " " + answer.reason;
  } catch (const net::FetchError& error) {
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
