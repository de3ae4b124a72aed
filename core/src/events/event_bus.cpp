#include <hub/event_bus.hpp>

namespace hub {

bool EventBus::Subscription::wants(const std::string& topic) const {
  if (topics.empty()) return true;
  for (const std::string& prefix : topics)
    if (topic.rfind(prefix, 0) == 0) return true;
  return false;
}

uint64_t EventBus::subscribe(Handler handler, std::vector<std::string> topics) {
  std::lock_guard lock(mutex_);
  subscriptions_.emplace(next_id_, Subscription{std::make_shared<const Handler>(std::move(handler)), std::move(topics)});
  return next_id_++;
}

void EventBus::unsubscribe(uint64_t id) {
  std::lock_guard lock(mutex_);
  subscriptions_.erase(id);
}

bool EventBus::wanted(const std::string& prefix) const {
  std::lock_guard lock(mutex_);
  for (const auto& [id, subscription] : subscriptions_) {
    if (subscription.wants(prefix)) return true;
    for (const std::string& topic : subscription.topics)
      if (topic.rfind(prefix, 0) == 0) return true;  // it wants some topics under `prefix`
  }
  return false;
}

void EventBus::publish(const Event& event) const {
  std::vector<std::shared_ptr<const Handler>> handlers;
  {
    // Taken out so a handler may subscribe or unsubscribe without deadlock.
    std::lock_guard lock(mutex_);
    for (const auto& [id, subscription] : subscriptions_)
      if (subscription.wants(event.topic)) handlers.push_back(subscription.handler);
  }
  for (const auto& handler : handlers) (*handler)(event);
}

}  // namespace hub
