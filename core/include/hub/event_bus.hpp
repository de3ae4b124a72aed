// The hub's changes as events, delivered in-process to every subscriber and,
// when the manifest enables NATS, published on `<subject_prefix>.<topic>`.
//
//   auto id = hub.events().subscribe([](const hub::Event& e) { ... });
//   hub.events().unsubscribe(id);
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace hub {

struct Event {
  std::string topic;  // "hub.started", "instance.registered", ...
  std::string json;   // the payload, a JSON object
  int64_t unix_us = 0;
};

class EventBus {
 public:
  using Handler = std::function<void(const Event&)>;
  // `topics`: the prefixes of the topics the handler wants ("liveness.", "plugin.crashed"); all when empty.
  uint64_t subscribe(Handler handler, std::vector<std::string> topics = {});
  void unsubscribe(uint64_t id);
  // Whether a subscriber may want an event whose topic starts with `prefix` (a whole topic is a
  // prefix too): a publisher skips building events nobody takes.
  bool wanted(const std::string& prefix) const;
  // Calls every subscriber that wants the topic, on the publishing thread; handlers must not block.
  void publish(const Event& event) const;

 private:
  struct Subscription {
    std::shared_ptr<const Handler> handler;
    std::vector<std::string> topics;
    bool wants(const std::string& topic) const;
  };
  mutable std::mutex mutex_;
  uint64_t next_id_ = 1;
  std::map<uint64_t, Subscription> subscriptions_;
};

}  // namespace hub
