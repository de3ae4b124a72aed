#include "answer_cache.hpp"

namespace hub {

namespace {

// Past this many cached services, the ones the registry has dropped are swept out.
constexpr size_t kSweepAbove = 4096;

}  // namespace

std::shared_ptr<AnswerCache::Entry> AnswerCache::entry_of(const std::string& service) {
  {
    std::shared_lock lock(mutex_);
    if (auto found = entries_.find(service); found != entries_.end()) return found->second;
  }
  std::unique_lock lock(mutex_);
  if (entries_.size() >= kSweepAbove) sweep();
  auto& entry = entries_[service];
  if (!entry) entry = std::make_shared<Entry>();
  return entry;
}

void AnswerCache::sweep() {
  for (auto entry = entries_.begin(); entry != entries_.end();)
    entry = registry_.knows(entry->first) ? std::next(entry) : entries_.erase(entry);
}

std::shared_ptr<const std::string> AnswerCache::service_answer(const std::string& service, int slot, const Build& build) {
  const std::optional<Registry::Version> version = registry_.version(service);
  if (!version) return std::make_shared<const std::string>(build());
  std::shared_ptr<Entry> entry = entry_of(service);
  {
    std::lock_guard lock(entry->mutex);
    const auto now = std::chrono::steady_clock::now();
    if (!entry->version.serves(*version, now - entry->built_at) || entry->version.structure != version->structure) {
      entry->slots.clear();
      entry->version = *version;
      entry->built_at = now;
    }
    if (auto found = entry->slots.find(slot); found != entry->slots.end()) return found->second;
  }
  // Built outside the lock: build() reads the registry, which locks for itself.
  auto answer = std::make_shared<const std::string>(build());
  std::lock_guard lock(entry->mutex);
  if (entry->version == *version) entry->slots[slot] = answer;
  return answer;
}

std::shared_ptr<const std::string> AnswerCache::pick_answer(const std::string& service, const Balancer::Picked& picked, int variant,
                                                            const Build& build) {
  std::shared_ptr<Entry> entry = entry_of(service);
  const size_t at = picked.index * 2 + static_cast<size_t>(variant);
  {
    std::lock_guard lock(entry->mutex);
    if (entry->picked_from != picked.candidates) {
      entry->picked_from = picked.candidates;
      entry->picks.assign(picked.candidates->instances.size() * 2, nullptr);
    }
    if (entry->picks[at]) return entry->picks[at];
  }
  auto answer = std::make_shared<const std::string>(build());
  std::lock_guard lock(entry->mutex);
  if (entry->picked_from == picked.candidates) entry->picks[at] = answer;
  return answer;
}

}  // namespace hub
