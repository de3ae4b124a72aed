#include "change_follower.hpp"

#include <set>

#include <hub/errors.hpp>

#include <pthread.h>

#include <algorithm>

namespace hub::cluster {

namespace {

constexpr size_t kBatch = 500;
constexpr auto kKept = std::chrono::hours(24);          // the feed's rows older than this go
constexpr auto kPruneEvery = std::chrono::minutes(10);  // by whichever hub comes first

int64_t unix_us(std::chrono::system_clock::time_point at) {
  return std::chrono::duration_cast<std::chrono::microseconds>(at.time_since_epoch()).count();
}

}  // namespace

ChangeFollower::ChangeFollower(Storage& feed, Registry* registry, config::ConfigStore& configs, std::shared_ptr<spdlog::logger> logger,
                               std::chrono::milliseconds poll)
    : feed_(feed), registry_(registry), configs_(configs), logger_(std::move(logger)), poll_(poll) {}

ChangeFollower::~ChangeFollower() {
  stop();
}

void ChangeFollower::start(int64_t revision) {
  applied_ = revision;
  latest_ = revision;
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "hub-feed");
    run();
  });
}

void ChangeFollower::stop() {
  stopping_ = true;
  if (thread_.joinable()) thread_.join();
}

// The listener waits in short slices, so stop() is never held up long; the feed is read when a
// notification came, and every `poll_` regardless, in case one was lost with its connection.
void ChangeFollower::run() {
  constexpr auto kSlice = std::chrono::milliseconds(100);
  const auto now = [] { return std::chrono::steady_clock::now(); };
  auto pruned = now();
  auto read_at = now() + poll_;
  while (!stopping_) {
    if (now() - pruned >= kPruneEvery) {
      pruned = now();
      try {
        feed_.prune_changes(unix_us(std::chrono::system_clock::now() - kKept));
      } catch (const std::exception& error) {
        logger_->debug("the change feed's old rows stay for now: {}", error.what());
      }
    }
    bool woken = false;
    try {
      woken = feed_.wait_for_change(kSlice);
    } catch (const std::exception& error) {
      logger_->debug("the change feed's listener: {}", error.what());
      std::this_thread::sleep_for(kSlice);  // a pause before the next attempt, so a database that is away is not hammered
    }
    if (stopping_ || (!woken && now() < read_at)) continue;
    catch_up();
    read_at = now() + poll_;
  }
}

bool ChangeFollower::catch_up() {
  std::lock_guard lock(catching_up_);
  try {
    bool configs_changed = false;
    for (;;) {
      const std::vector<FeedChange> changes = feed_.changes_after(applied_, kBatch);
      if (changes.empty()) break;
      // Revisions have gaps (a rolled-back transaction used its number), but rows older than the
      // oldest one kept were pruned: a hub that missed them reads everything again.
      if (changes.front().revision > applied_ + 1 && applied_ + 1 < feed_.oldest_change()) {
        logger_->warn("this hub is further behind the change feed than it keeps (at revision {}); reading everything again",
                      applied_.load());
        reload_everything();
      }
      const std::string mine = feed_.hub_id();
      for (const FeedChange& change : changes) {
        if (change.hub_id != mine) {
          if (change.kind == "config")
            configs_changed = true;
          else if (change.kind == "reload")
            reload_everything();
          else
            apply(change);
        }
        applied_ = change.revision;
      }
      if (changes.size() < kBatch) break;
    }
    if (configs_changed) configs_.catch_up();
    latest_ = std::max(applied_.load(), feed_.latest_change());
    if (failing_) logger_->info("the change feed is read again, at revision {}", applied_.load());
    failing_ = false;
    return true;
  } catch (const std::exception& error) {
    if (!failing_) logger_->warn("the change feed cannot be read; other hubs' changes wait until it can: {}", error.what());
    failing_ = true;
    return false;
  }
}

// An instance's change is read as the row stands now: applying an older change after a newer one
// still ends at the newest state.
void ChangeFollower::apply(const FeedChange& change) {
  if (!registry_) return;
  if (change.kind == "removal") return registry_->drop_stored(change.service, change.instance_id);
  if (auto record = feed_.load_instance(change.service, change.instance_id))
    registry_->take_stored(std::move(*record));
  else
    registry_->drop_stored(change.service, change.instance_id);
}

// What storage holds, in place of what memory does: an instance stored by no one any more (removed
// while this hub was away, or by a restored snapshot) goes too. Discovery sources' instances are
// never stored and stay.
void ChangeFollower::reload_everything() {
  if (registry_) {
    std::set<std::pair<std::string, std::string>> stored;
    for (InstanceRecord& record : feed_.load_instances()) {
      stored.emplace(record.service_name, record.instance_id);
      registry_->take_stored(std::move(record));
    }
    for (const InstanceRecord& held : registry_->instances())
      if (held.source == "self" && !stored.count({held.service_name, held.instance_id}))
        registry_->drop_stored(held.service_name, held.instance_id);
  }
  configs_.catch_up();  // a scope never goes back to an older revision
}

}  // namespace hub::cluster
