// Encoded answers of the registry's routes, kept per service and built again
// only when the service's Version moved (heartbeat times at most a second
// stale), so a read costs a lookup, not a serialization. The API layer's:
// the registry knows nothing of answers.
#pragma once

#include "balancing/balancer.hpp"
#include "registry/registry.hpp"

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <vector>

namespace hub {

class AnswerCache {
 public:
  explicit AnswerCache(const Registry& registry) : registry_(registry) {}

  using Build = std::function<std::string()>;
  // An answer that depends on the service's instances (and, through dependents, on others');
  // `slot` tells answers apart (route and encoding).
  std::shared_ptr<const std::string> service_answer(const std::string& service, int slot, const Build& build);
  // The answer for one pick: cached per candidate set, candidate and `variant` (the encoding).
  std::shared_ptr<const std::string> pick_answer(const std::string& service, const Balancer::Picked& picked, int variant,
                                                 const Build& build);

 private:
  struct Entry {
    std::mutex mutex;
    Registry::Version version;
    std::chrono::steady_clock::time_point built_at;
    std::map<int, std::shared_ptr<const std::string>> slots;
    std::shared_ptr<const Balancer::Candidates> picked_from;
    std::vector<std::shared_ptr<const std::string>> picks;  // two encodings per candidate
  };
  std::shared_ptr<Entry> entry_of(const std::string& service);
  void sweep();  // with the map's lock held: drops services the registry no longer has

  const Registry& registry_;
  std::shared_mutex mutex_;
  std::map<std::string, std::shared_ptr<Entry>, std::less<>> entries_;
};

}  // namespace hub
