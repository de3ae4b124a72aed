// Each instance's latest directive, where the instance watches for it: a blocking query that
// returns once the index passes the caller's, a WebSocket that pushes each one, and a
// `deployment.directive` event for NATS. Rollouts write it; it keeps nothing durable itself
// (a restarted hub puts back the directives of its active rollouts).
#pragma once

#include "directive.hpp"

#include "basics/deadline_timer.hpp"

#include <hub/event_bus.hpp>

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>

namespace hub::deployments {

class DirectiveBoard {
 public:
  explicit DirectiveBoard(const EventBus& events);
  ~DirectiveBoard();  // pending watches end without an answer
  DirectiveBoard(const DirectiveBoard&) = delete;
  DirectiveBoard& operator=(const DirectiveBoard&) = delete;

  // Gives the directive the next index (unless it has one: one put back after a restart), wakes
  // the instance's watchers and publishes it. Returns its index.
  uint64_t put(Directive directive);
  // The instance's answer, kept with its directive; false if that is not its latest directive.
  bool acknowledge(const std::string& service, const std::string& instance_id, uint64_t index, const std::string& ack,
                   const std::string& message, int64_t at_unix_us);
  std::optional<Directive> latest(const std::string& service, const std::string& instance_id) const;
  uint64_t index() const;
  // An index for a directive stored before it is put: taken now, so no other can get it.
  uint64_t reserve();

  // Calls done(true) once the instance's latest directive has an index above `known` (at once if it
  // has), or done(false) when `wait` ends first; on the thread of the put or of the timer.
  uint64_t watch(const std::string& service, const std::string& instance_id, uint64_t known, std::chrono::milliseconds wait,
                 std::function<void(bool)> done);
  void cancel_watch(uint64_t id);
  size_t watching() const;

 private:
  using Key = std::pair<std::string, std::string>;
  struct Waiter {
    Key key;
    uint64_t known = 0;
    std::function<void(bool)> done;
    uint64_t timer = 0;
  };
  std::optional<Waiter> take(uint64_t id);

  const EventBus& events_;
  mutable std::mutex mutex_;
  uint64_t index_ = 0;
  std::map<Key, Directive> latest_;
  uint64_t next_waiter_ = 1;
  std::map<uint64_t, Waiter> waiters_;
  std::multimap<Key, uint64_t> waiters_by_key_;
  DeadlineTimer timer_;  // last: stopped before what its callbacks touch goes
};

// The directive as the API and the event show it.
std::string directive_json(const Directive& directive);

}  // namespace hub::deployments
