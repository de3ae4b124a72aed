#include "config_store.hpp"

#include "basics/await.hpp"
#include "basics/json_text.hpp"
#include "basics/time_text.hpp"

#include <hub/errors.hpp>

#include <algorithm>

namespace hub::config {

namespace {

constexpr size_t kChangesKept = 100;

bool is_global(const std::string& scope) {
  return scope == kGlobalConfigScope;
}

std::string scope_label(const std::string& scope) {
  return is_global(scope) ? "the global config" : "service " + scope;
}

}  // namespace

ConfigStore::ConfigStore(ConfigVersionStore& storage, GroupCommit& writes, const ConfigManagementSettings& settings, const Clock& clock,
                         const EventBus& events, std::shared_ptr<spdlog::logger> logger)
    : storage_(storage), writes_(writes), settings_(settings), clock_(clock), events_(events), logger_(std::move(logger)) {}

ConfigStore::~ConfigStore() = default;

void ConfigStore::restore() {
  std::map<std::string, Scope> loaded = load();
  std::unique_lock lock(mutex_);
  scopes_ = std::move(loaded);
}

void ConfigStore::catch_up() {
  std::map<std::string, Scope> loaded = load();
  bool changed = false;
  {
    std::unique_lock lock(mutex_);
    for (auto& [name, scope] : loaded) {
      auto held = scopes_.find(name);
      if (held != scopes_.end() && scope.revision <= held->second.revision) continue;
      scopes_.insert_or_assign(name, std::move(scope));
      changed = true;
    }
  }
  if (changed) wake(kGlobalConfigScope);  // every watch whose revision moved
}

// Changes first, versions after: with other hubs writing meanwhile, the versions read are then at
// least as new as the revision, and the next change's revision brings the rest; read the other way
// round, a revision could name a version not read, and stay wrong until the scope changed again.
std::map<std::string, ConfigStore::Scope> ConfigStore::load() const {
  std::vector<ConfigChange> changes = storage_.load_config_changes(static_cast<int>(kChangesKept));
  std::map<std::string, Scope> loaded;
  for (ConfigVersion& version : storage_.load_config_versions()) {
    Scope& scope = loaded[version.scope];
    scope.latest = std::max(scope.latest, version.version);
    if (version.active) {
      scope.active = version.version;
      std::string problem;
      auto content = parse_json(version.content, 1000, problem);
      if (!content || !content->is_object())
        throw StorageError("service_configs: version " + std::to_string(version.version) + " of " + scope_label(version.scope) +
                           " is not a JSON object: " + problem);
      scope.active_content = std::move(*content);
    }
    const int64_t number = version.version;
    scope.versions.emplace(number, std::move(version));
  }
  for (ConfigChange& change : changes) {
    Scope& scope = loaded[change.scope];
    scope.revision = std::max(scope.revision, change.revision);
    scope.changes.push_back(std::move(change));
  }
  return loaded;
}

void ConfigStore::reload() {
  restore();
  wake(kGlobalConfigScope);
}

int64_t ConfigStore::revision_locked(const std::string& service) const {
  int64_t revision = 0;
  if (auto found = scopes_.find(service); found != scopes_.end()) revision = found->second.revision;
  if (auto global = scopes_.find(kGlobalConfigScope); global != scopes_.end()) revision = std::max(revision, global->second.revision);
  return revision;
}

int64_t ConfigStore::revision_of(const std::string& service) const {
  std::shared_lock lock(mutex_);
  return revision_locked(service);
}

EffectiveConfig ConfigStore::effective(const std::string& service) const {
  EffectiveConfig out;
  out.service = service;
  std::shared_lock lock(mutex_);
  out.revision = revision_locked(service);
  if (auto global = scopes_.find(kGlobalConfigScope); global != scopes_.end() && global->second.active) {
    out.global_version = global->second.active;
    out.config = global->second.active_content;
    // The global version's author, unless the service has a version of its own below.
    const ConfigVersion& active = global->second.versions.at(global->second.active);
    out.created_by = active.created_by;
    out.created_at_unix_us = active.created_at_unix_us;
  }
  if (auto found = scopes_.find(service); found != scopes_.end() && found->second.active && !is_global(service)) {
    const Scope& scope = found->second;
    out.version = scope.active;
    out.config = deep_merge(out.config, scope.active_content);
    const ConfigVersion& active = scope.versions.at(scope.active);
    out.created_by = active.created_by;
    out.created_at_unix_us = active.created_at_unix_us;
  }
  return out;
}

Saved ConfigStore::update(const std::string& scope, const Json& content, const std::string& created_by) {
  return await<Saved>([&](auto done) { update(scope, content, created_by, std::move(done)); });
}

Saved ConfigStore::rollback(const std::string& scope, int64_t version, const std::string& created_by) {
  return await<Saved>([&](auto done) { rollback(scope, version, created_by, std::move(done)); });
}

void ConfigStore::update(const std::string& scope, const Json& content, const std::string& created_by, std::function<void(Saved)> done) {
  const ConfigLimits limits{settings_.max_config_bytes, settings_.max_depth};
  if (ConfigProblem problem = check_config(content, limits))
    return done({0, 0, {Code::invalid_argument, problem.message, problem.secret ? "secret_in_config" : "invalid_config"}});
  ConfigVersion added;
  added.scope = scope;
  added.content = content.dump();
  added.created_by = created_by;
  added.active = true;
  writes_.submit(scope, [this, added = std::move(added), content, done = std::move(done)]() mutable -> std::optional<GroupCommit::Planned> {
    {
      std::shared_lock lock(mutex_);
      auto found = scopes_.find(added.scope);
      added.version = (found == scopes_.end() ? 0 : found->second.latest) + 1;
    }
    added.created_at_unix_us = clock_.now_unix_us();
    ConfigChange change{0, added.scope, added.version, "update", added.created_by, added.created_at_unix_us};
    return plan(std::move(added), std::move(change), std::move(content), std::move(done));
  });
}

void ConfigStore::rollback(const std::string& scope, int64_t version, const std::string& created_by, std::function<void(Saved)> done) {
  writes_.submit(scope, [this, scope, version, created_by, done = std::move(done)]() -> std::optional<GroupCommit::Planned> {
    ConfigVersion target;
    Status refusal = this->version(scope, version, target);
    if (!refusal) {
      std::shared_lock lock(mutex_);
      if (scopes_.at(scope).active == version)
        refusal = {Code::failed_precondition, "version " + std::to_string(version) + " of " + scope_label(scope) + " is already active",
                   "already_active"};
    }
    if (refusal) {
      done({0, 0, refusal});
      return std::nullopt;
    }
    std::string ignored;
    Json content = *parse_json(target.content, 1000, ignored);  // stored, so valid: restore() checked it
    return plan(std::nullopt, ConfigChange{0, scope, version, "rollback", created_by, clock_.now_unix_us()}, std::move(content), done);
  });
}

GroupCommit::Planned ConfigStore::plan(std::optional<ConfigVersion> added, ConfigChange change, Json content,
                                       std::function<void(Saved)> done) {
  int64_t latest = added ? added->version : 0;
  int64_t active = 0;
  {
    std::shared_lock lock(mutex_);
    if (auto found = scopes_.find(change.scope); found != scopes_.end()) {
      latest = std::max(latest, found->second.latest);
      active = found->second.active;
    }
  }
  ConfigWrite write{std::move(added), std::move(change), latest - settings_.retention_versions, active};
  return {Write{std::move(write)}, [this, content = std::move(content), done = std::move(done)](Write& stored) mutable {
            ConfigWrite& write = std::get<ConfigWrite>(stored.change);
            ConfigChange& change = write.change;
            if (stored.outcome) {
              const std::string what = change.action == "update" ? "the config" : "the " + change.action;
              return done({0,
                           0,
                           {stored.outcome.code(), what + " was not stored, nothing changed: " + stored.outcome.message(),
                            stored.outcome.reason()}});
            }
            change.revision = stored.revision;
            apply(write, std::move(content));
            done({change.version, change.revision, {}});
            // Built now, before the next change reaches memory: each event carries the config as of its change.
            notify(change, events_for(change.scope, change));
          }};
}

// The acknowledgement has gone: watchers are woken and events published on the timer's thread, in
// the order of the changes. One timer task takes every change that came meanwhile, so a group of
// changes wakes the timer's thread once, not once each.
void ConfigStore::notify(const ConfigChange& change, std::vector<Event> events) {
  bool first;
  {
    std::lock_guard lock(notify_mutex_);
    first = unnotified_.empty();
    unnotified_.push_back({change, std::move(events)});
  }
  if (!first) return;
  timer_.schedule(DeadlineTimer::Clock::time_point::min(), [this] {
    std::vector<Unnotified> changes;
    {
      std::lock_guard lock(notify_mutex_);
      changes.swap(unnotified_);
    }
    for (const auto& [change, events] : changes) {
      logger_->info("config: {} of {} by {}: version {} active, revision {}", change.action, scope_label(change.scope), change.created_by,
                    change.version, change.revision);
      wake(change.scope);
      for (const Event& event : events) events_.publish(event);
    }
  });
}

void ConfigStore::apply(const ConfigWrite& write, Json content) {
  const ConfigChange& change = write.change;
  std::unique_lock lock(mutex_);
  Scope& scope = scopes_[change.scope];
  if (change.revision <= scope.revision) return;  // catch_up() took in a newer state meanwhile
  if (write.added) scope.versions[write.added->version] = *write.added;
  for (auto& [number, stored] : scope.versions) stored.active = number == change.version;
  scope.active = change.version;
  scope.latest = std::max(scope.latest, write.added ? write.added->version : 0);
  scope.active_content = std::move(content);
  for (auto it = scope.versions.begin(); it != scope.versions.end() && it->first <= write.prune_through;)
    it = it->second.active ? std::next(it) : scope.versions.erase(it);
  remember(scope, change);
}

void ConfigStore::remember(Scope& scope, const ConfigChange& change) {
  scope.revision = change.revision;
  scope.changes.push_back(change);
  if (scope.changes.size() > kChangesKept) scope.changes.pop_front();
}

std::vector<Event> ConfigStore::events_for(const std::string& scope, const ConfigChange& change) const {
  std::vector<Event> events;
  if (!events_.wanted(is_global(scope) ? "config." : "config." + scope)) return events;
  auto event_for = [&](const std::string& topic, const EffectiveConfig& effective) {
    events.push_back(Event{topic,
                           "{\"service_name\":" + json_quote(effective.service) + ",\"version\":" + std::to_string(effective.version) +
                               ",\"global_version\":" + std::to_string(effective.global_version) +
                               ",\"revision\":" + std::to_string(effective.revision) + ",\"action\":" + json_quote(change.action) +
                               ",\"created_by\":" + json_quote(change.created_by) + ",\"config\":" + effective.config.dump() + "}",
                           change.at_unix_us});
  };
  if (!is_global(scope)) {
    event_for("config." + scope, effective(scope));
    return events;
  }
  EffectiveConfig global = effective(kGlobalConfigScope);
  global.service = "_global";
  event_for("config._global", global);
  std::vector<std::string> services;
  {
    std::shared_lock lock(mutex_);
    for (const auto& [name, ignored] : scopes_)
      if (!is_global(name)) services.push_back(name);
  }
  for (const std::string& service : services) event_for("config." + service, effective(service));
  return events;
}

std::optional<ConfigHistory> ConfigStore::history(const std::string& scope_name, size_t limit) const {
  std::shared_lock lock(mutex_);
  auto found = scopes_.find(scope_name);
  if (found == scopes_.end()) return std::nullopt;
  const Scope& scope = found->second;
  ConfigHistory history;
  history.active_version = scope.active;
  history.latest_version = scope.latest;
  for (auto it = scope.versions.rbegin(); it != scope.versions.rend() && history.versions.size() < limit; ++it)
    history.versions.push_back(it->second);
  for (auto it = scope.changes.rbegin(); it != scope.changes.rend() && history.changes.size() < limit; ++it) history.changes.push_back(*it);
  return history;
}

Status ConfigStore::version(const std::string& scope_name, int64_t version, ConfigVersion& out) const {
  std::shared_lock lock(mutex_);
  auto found = scopes_.find(scope_name);
  const int64_t latest = found == scopes_.end() ? 0 : found->second.latest;
  if (version < 1 || version > latest)
    return {Code::not_found,
            scope_label(scope_name) + " has no version " + std::to_string(version) +
                (latest ? "; its versions run from 1 to " + std::to_string(latest) : "; it has no config yet"),
            "no_such_version"};
  auto stored = found->second.versions.find(version);
  if (stored == found->second.versions.end())
    return {Code::not_found,
            "version " + std::to_string(version) + " of " + scope_label(scope_name) + " was pruned: the hub keeps the latest " +
                std::to_string(settings_.retention_versions) + " versions and the active one",
            "version_pruned"};
  out = stored->second;
  return {};
}

uint64_t ConfigStore::watch(const std::string& service, int64_t known_revision, std::chrono::milliseconds wait,
                            std::function<void(bool)> done) {
  uint64_t id;
  {
    std::lock_guard lock(watch_mutex_);
    id = next_waiter_++;
    waiters_.emplace(id, Waiter{service, known_revision, std::move(done), 0});
  }
  // Checked after the waiter is in place, so a change in between wakes it one way or the other.
  if (revision_of(service) != known_revision) {
    if (auto waiter = take_waiter(id)) waiter->done(true);
    return id;
  }
  const uint64_t timer = timer_.schedule(DeadlineTimer::Clock::now() + wait, [this, id] {
    if (auto waiter = take_waiter(id)) waiter->done(false);
  });
  std::lock_guard lock(watch_mutex_);
  if (auto found = waiters_.find(id); found != waiters_.end()) found->second.timer = timer;
  return id;
}

void ConfigStore::cancel_watch(uint64_t id) {
  if (auto waiter = take_waiter(id); waiter && waiter->timer) timer_.cancel(waiter->timer);
}

std::optional<ConfigStore::Waiter> ConfigStore::take_waiter(uint64_t id) {
  std::lock_guard lock(watch_mutex_);
  auto found = waiters_.find(id);
  if (found == waiters_.end()) return std::nullopt;
  Waiter waiter = std::move(found->second);
  waiters_.erase(found);
  return waiter;
}

void ConfigStore::wake(const std::string& scope) {
  // A watch parked after the acknowledgement may already know this revision: it keeps waiting.
  std::map<std::string, int64_t, std::less<>> revisions;
  auto revision = [&](const std::string& service) {
    auto [found, fresh] = revisions.try_emplace(service, 0);
    if (fresh) found->second = revision_of(service);
    return found->second;
  };
  std::vector<Waiter> woken;
  {
    std::lock_guard lock(watch_mutex_);
    for (auto it = waiters_.begin(); it != waiters_.end();) {
      if ((is_global(scope) || it->second.service == scope) && revision(it->second.service) != it->second.known_revision) {
        woken.push_back(std::move(it->second));
        it = waiters_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (Waiter& waiter : woken) {
    if (waiter.timer) timer_.cancel(waiter.timer);
    waiter.done(true);
  }
}

size_t ConfigStore::watching() const {
  std::lock_guard lock(watch_mutex_);
  return waiters_.size();
}

}  // namespace hub::config
