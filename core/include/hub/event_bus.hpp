// The hub's changes as events, delivered in-process to every subscriber and,
// when the manifest enables NATS, published on `<subject_prefix>.<topic>`.
//
//   auto id = hub.events().subscribe([](const hub::Event& e) { ... });
//   hub.events().unsubscribe(id);
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>

namespace hub {

struct Event {
  std::string topic;  // "hub.started", "instance.registered", ...
  std::string json;   // the payload, a JSON object
  int64_t unix_us = 0;
};

class EventBus {
 public:
  using Handler = std::function<void(const Event&)>;
  uint64_t subscribe(Handler handler);
  void unsubscribe(uint64_t id);
  // Calls every subscriber on the publishing thread; handlers must not block.
  void publish(const Event& event) const;

 private:
  mutable std::mutex mutex_;
  uint64_t next_id_ = 1;
  std::map<uint64_t, Handler> handlers_;
};

}  // namespace hub
