#include "directive_board.hpp"

#include "basics/json_text.hpp"

#include <vector>

namespace hub::deployments {

// Past this many instances with a directive, those of ended rollouts answered long ago go first.
constexpr size_t kMaxDirectives = 100'000;

DirectiveBoard::DirectiveBoard(const EventBus& events) : events_(events) {}

DirectiveBoard::~DirectiveBoard() = default;

uint64_t DirectiveBoard::put(Directive directive) {
  std::vector<std::function<void(bool)>> woken;
  uint64_t index = 0;
  {
    std::lock_guard lock(mutex_);
    if (directive.index == 0) directive.index = ++index_;
    index_ = std::max(index_, directive.index);
    index = directive.index;
    const Key key{directive.service, directive.instance_id};
    if (latest_.size() >= kMaxDirectives && !latest_.count(key)) latest_.erase(latest_.begin());
    latest_[key] = directive;
    for (auto [at, end] = waiters_by_key_.equal_range(key); at != end;) {
      auto waiter = waiters_.find(at->second);
      at = waiters_by_key_.erase(at);
      if (waiter == waiters_.end() || waiter->second.known >= index) continue;
      timer_.cancel(waiter->second.timer);
      woken.push_back(std::move(waiter->second.done));
      waiters_.erase(waiter);
    }
  }
  for (auto& done : woken) done(true);
  if (events_.wanted("deployment.directive")) events_.publish({"deployment.directive", directive_json(directive)});
  return index;
}

bool DirectiveBoard::acknowledge(const std::string& service, const std::string& instance_id, uint64_t index, const std::string& ack,
                                 const std::string& message, int64_t at_unix_us) {
  std::lock_guard lock(mutex_);
  auto found = latest_.find({service, instance_id});
  if (found == latest_.end() || found->second.index != index) return false;
  found->second.ack = ack;
  found->second.ack_message = message;
  found->second.acked_at_unix_us = at_unix_us;
  return true;
}

std::optional<Directive> DirectiveBoard::latest(const std::string& service, const std::string& instance_id) const {
  std::lock_guard lock(mutex_);
  auto found = latest_.find({service, instance_id});
  if (found == latest_.end()) return std::nullopt;
  return found->second;
}

uint64_t DirectiveBoard::index() const {
  std::lock_guard lock(mutex_);
  return index_;
}

uint64_t DirectiveBoard::reserve() {
  std::lock_guard lock(mutex_);
  return ++index_;
}

uint64_t DirectiveBoard::watch(const std::string& service, const std::string& instance_id, uint64_t known, std::chrono::milliseconds wait,
                               std::function<void(bool)> done) {
  uint64_t id = 0;
  {
    std::lock_guard lock(mutex_);
    const Key key{service, instance_id};
    auto found = latest_.find(key);
    if (found == latest_.end() || found->second.index <= known) {
      id = next_waiter_++;
      waiters_[id] = {key, known, std::move(done), 0};
      waiters_by_key_.emplace(key, id);
      waiters_[id].timer = timer_.schedule(DeadlineTimer::Clock::now() + wait, [this, id] {
        if (std::optional<Waiter> waiter = take(id)) waiter->done(false);
      });
      return id;
    }
  }
  done(true);
  return 0;
}

std::optional<DirectiveBoard::Waiter> DirectiveBoard::take(uint64_t id) {
  std::lock_guard lock(mutex_);
  auto found = waiters_.find(id);
  if (found == waiters_.end()) return std::nullopt;
  Waiter waiter = std::move(found->second);
  waiters_.erase(found);
  for (auto [at, end] = waiters_by_key_.equal_range(waiter.key); at != end; ++at)
    if (at->second == id) {
      waiters_by_key_.erase(at);
      break;
    }
  return waiter;
}

void DirectiveBoard::cancel_watch(uint64_t id) {
  if (std::optional<Waiter> waiter = take(id)) timer_.cancel(waiter->timer);
}

size_t DirectiveBoard::watching() const {
  std::lock_guard lock(mutex_);
  return waiters_.size();
}

std::string directive_json(const Directive& directive) {
  std::string json = "{\"index\":" + std::to_string(directive.index) + ",\"service\":" + json_quote(directive.service) +
                     ",\"instance_id\":" + json_quote(directive.instance_id) + ",\"deployment_id\":" + json_quote(directive.rollout_id) +
                     ",\"action\":" + json_quote(directive.action);
  if (!directive.version.empty()) json += ",\"version\":" + json_quote(directive.version);
  json += ",\"reason\":" + json_quote(directive.reason) + ",\"issued_at_us\":" + std::to_string(directive.issued_at_unix_us);
  if (!directive.ack.empty()) json += ",\"ack\":" + json_quote(directive.ack) + ",\"ack_message\":" + json_quote(directive.ack_message);
  return json + "}";
}

}  // namespace hub::deployments
