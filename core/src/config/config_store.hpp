// Versioned configs, kept in memory and stored (committed in groups through
// GroupCommit) before any change is acknowledged. Each service's config is a
// JSON object in numbered versions, one active; the global config is merged
// under every service's. Every change (update or rollback) gets a hub-wide
// revision, which blocking watches compare. Watchers are woken, and events
// published, on the timer's thread after the acknowledgement has gone: ten
// thousand watchers never delay the writer.
#pragma once

#include "basics/deadline_timer.hpp"
#include "config_json.hpp"
#include "storage/config_version_store.hpp"
#include "storage/group_commit.hpp"

#include <hub/clock.hpp>
#include <hub/config_settings.hpp>
#include <hub/event_bus.hpp>
#include <hub/status.hpp>

#include <spdlog/logger.h>

#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <vector>

namespace hub::config {

// A service's config as its clients see it: the global config with the service's laid over it.
struct EffectiveConfig {
  std::string service;
  int64_t version = 0;         // the service's active version; 0 when it has none
  int64_t global_version = 0;  // the global config's active version; 0 when there is none
  int64_t revision = 0;        // of the latest change to either
  Json config = Json::object();
  std::string created_by;
  int64_t created_at_unix_us = 0;
};

struct Saved {
  int64_t version = 0;
  int64_t revision = 0;
  Status refusal;  // ok unless the change was refused, and then nothing changed
};

struct ConfigHistory {
  int64_t active_version = 0;
  int64_t latest_version = 0;
  std::vector<ConfigVersion> versions;  // retained ones, newest first
  std::vector<ConfigChange> changes;    // the latest ones, newest first
};

class ConfigStore {
 public:
  ConfigStore(ConfigVersionStore& storage, GroupCommit& writes, const ConfigManagementSettings& settings, const Clock& clock,
              const EventBus& events, std::shared_ptr<spdlog::logger> logger);
  ~ConfigStore();  // pending watches end without an answer
  ConfigStore(const ConfigStore&) = delete;
  ConfigStore& operator=(const ConfigStore&) = delete;

  // Loads what storage holds; throws StorageError.
  void restore();
  // restore() again, over what memory holds (a snapshot restored into storage), and wakes every
  // watch whose revision is not the one it knew: a watcher sees the reset, not stale data.
  void reload();
  // Takes in what other hubs on the same database stored: every scope whose stored revision is newer
  // than memory's, and wakes its watchers. A scope never goes back to an older revision.
  void catch_up();

  const ConfigManagementSettings& settings() const { return settings_; }

  EffectiveConfig effective(const std::string& service) const;
  int64_t revision_of(const std::string& service) const;

  // `scope` is a service name or kGlobalConfigScope. A refusal (Saved::refusal) changed nothing:
  // invalid_argument for a config that may not be stored, unavailable when storage failed, aborted
  // (write_refused) when storage refused this change alone. `done` runs once the change is stored
  // and served (or refused), on the committing thread or on this one, and must not block.
  void update(const std::string& scope, const Json& content, const std::string& created_by, std::function<void(Saved)> done);
  void rollback(const std::string& scope, int64_t version, const std::string& created_by, std::function<void(Saved)> done);
  Saved update(const std::string& scope, const Json& content, const std::string& created_by);  // waits
  Saved rollback(const std::string& scope, int64_t version, const std::string& created_by);    // waits

  std::optional<ConfigHistory> history(const std::string& scope, size_t limit) const;
  // The stored version, or not_found saying whether it never existed or was pruned (reason version_pruned).
  Status version(const std::string& scope, int64_t version, ConfigVersion& out) const;

  // Calls done(true) once the service's revision differs from `known_revision`
  // (at once if it already does), or done(false) when `wait` ends first. done
  // runs on the thread of the change or of the timer and must not block.
  // Returns the watch's id, for cancel_watch.
  uint64_t watch(const std::string& service, int64_t known_revision, std::chrono::milliseconds wait, std::function<void(bool)> done);
  // Drops a watch whose client has gone, without calling its done; nothing if it already ended.
  void cancel_watch(uint64_t id);
  size_t watching() const;

 private:
  struct Scope {
    std::map<int64_t, ConfigVersion> versions;  // retained
    int64_t active = 0;
    int64_t latest = 0;
    int64_t revision = 0;
    Json active_content = Json::object();
    std::deque<ConfigChange> changes;  // oldest first
  };
  struct Waiter {
    std::string service;
    int64_t known_revision = 0;
    std::function<void(bool)> done;
    uint64_t timer = 0;
  };

  std::map<std::string, Scope> load() const;
  // The write of a change planned on memory as it stands, and what follows once it is stored.
  // `content` is the version made active, parsed.
  GroupCommit::Planned plan(std::optional<ConfigVersion> added, ConfigChange change, Json content, std::function<void(Saved)> done);
  // Takes a stored change into memory.
  void apply(const ConfigWrite& write, Json content);
  void remember(Scope& scope, const ConfigChange& change);
  // Wakes the change's watchers and publishes its events on the timer's thread.
  void notify(const ConfigChange& change, std::vector<Event> events);
  // The change's events, with the configs memory holds now; none when nobody subscribes.
  std::vector<Event> events_for(const std::string& scope, const ConfigChange& change) const;
  void wake(const std::string& scope);
  std::optional<Waiter> take_waiter(uint64_t id);
  int64_t revision_locked(const std::string& service) const;

  ConfigVersionStore& storage_;
  GroupCommit& writes_;  // keyed by scope, so each change plans on memory that holds the one before
  const ConfigManagementSettings settings_;
  const Clock& clock_;
  const EventBus& events_;
  std::shared_ptr<spdlog::logger> logger_;

  mutable std::shared_mutex mutex_;
  std::map<std::string, Scope> scopes_;

  mutable std::mutex watch_mutex_;
  uint64_t next_waiter_ = 1;
  std::map<uint64_t, Waiter> waiters_;
  std::mutex notify_mutex_;
  struct Unnotified {
    ConfigChange change;
    std::vector<Event> events;
  };
  std::vector<Unnotified> unnotified_;  // stored and acknowledged, watchers not yet woken
  DeadlineTimer timer_;                 // watches' ends, and wakes and events after changes; last: stopped before what it refers to goes
};

}  // namespace hub::config
