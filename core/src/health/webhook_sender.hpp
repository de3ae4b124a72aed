// Delivers alerts to the webhook sinks of the YAML: a JSON POST per alert and
// sink, retried with exponential backoff and jitter, on a thread of its own,
// so a slow or dead receiver never holds up the checks. The queue is bounded:
// past it the oldest alert is dropped and counted.
#pragma once

#include <hub/health_settings.hpp>
#include <hub/metrics.hpp>

#include <spdlog/logger.h>

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace hub {

class WebhookSender {
 public:
  WebhookSender(std::vector<WebhookSink> sinks, Metrics& metrics, std::shared_ptr<spdlog::logger> logger);
  ~WebhookSender();  // gives up what is still queued
  WebhookSender(const WebhookSender&) = delete;
  WebhookSender& operator=(const WebhookSender&) = delete;

  void send(const std::string& alert_json);  // never blocks

 private:
  struct Delivery {
    size_t sink = 0;
    std::string body;
    int attempt = 0;
    std::chrono::steady_clock::time_point not_before;
  };
  void run();
  bool post(const WebhookSink& sink, const std::string& body, std::string& failure) const;

  static constexpr size_t kMaxQueued = 10'000;
  std::vector<WebhookSink> sinks_;
  Metrics& metrics_;
  std::shared_ptr<spdlog::logger> logger_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Delivery> queue_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace hub
