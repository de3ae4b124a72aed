#include "caller.hpp"

#include <algorithm>

namespace hub::security {

std::shared_ptr<void> Caller::on_revoke(std::function<void()> ended) const {
  auto held = std::make_shared<std::function<void()>>(std::move(ended));
  {
    std::lock_guard lock(mutex_);
    if (!revoked()) {
      // Streams come and go: those already gone are dropped so the list stays as long as the live ones.
      if (on_revoke_.size() >= prune_at_) {
        std::erase_if(on_revoke_, [](const auto& weak) { return weak.expired(); });
        prune_at_ = std::max<size_t>(64, 2 * on_revoke_.size());
      }
      on_revoke_.push_back(held);
      return held;
    }
  }
  (*held)();
  return held;
}

void Caller::revoke() {
  std::vector<std::weak_ptr<std::function<void()>>> calls;
  {
    std::lock_guard lock(mutex_);
    if (revoked_.exchange(true, std::memory_order_acq_rel)) return;
    calls.swap(on_revoke_);
  }
  for (const auto& weak : calls)
    if (auto call = weak.lock()) (*call)();
}

}  // namespace hub::security
