#include <hub/event_bus.hpp>

#include <vector>

namespace hub {

uint64_t EventBus::subscribe(Handler handler) {
  std::lock_guard lock(mutex_);
  handlers_.emplace(next_id_, std::move(handler));
  return next_id_++;
}

void EventBus::unsubscribe(uint64_t id) {
  std::lock_guard lock(mutex_);
  handlers_.erase(id);
}

void EventBus::publish(const Event& event) const {
  std::vector<Handler> handlers;
  {
    // Copied so a handler may subscribe or unsubscribe without deadlock.
    std::lock_guard lock(mutex_);
    for (const auto& [id, handler] : handlers_) handlers.push_back(handler);
  }
  for (const Handler& handler : handlers) handler(event);
}

}  // namespace hub
