#include "registry.hpp"

#include "basics/await.hpp"
#include "basics/json_text.hpp"

#include <hub/errors.hpp>

#include <algorithm>
#include <set>

namespace hub {

namespace {

// Metrics waiting for storage are bounded: a long outage drops the oldest.
constexpr size_t kMaxPendingSamples = 200'000;
// Heartbeat marks and metric rows stored per transaction.
constexpr size_t kHeartbeatChunk = 4096;

// Names cannot hold a NUL: the key of one instance's writes.
std::string write_key(const std::string& service, const std::string& instance_id) {
  std::string key = service;
  key += '\0';
  key += instance_id;
  return key;
}

Status not_stored(const std::string& what, const Status& outcome) {
  return {outcome.code(), what + " was not stored, nothing changed: " + outcome.message(), outcome.reason()};
}

}  // namespace

struct Registry::Entry {
  InstanceRecord record;  // last_heartbeat lives in the atomics below
  std::atomic<int64_t> beat_unix_us{0};
  std::atomic<int64_t> beat_mono_us{0};
  mutable std::atomic<bool> dirty{false};  // a heartbeat storage has not seen
  int64_t down_since_mono_us = 0;
  // record.status is the worse of what the instance says of itself (its
  // heartbeats, or the liveness policy) and what health checks concluded.
  std::string reported = "healthy";
  std::string probed;  // empty: no health check verdict
};

namespace {

int severity(const std::string& status) {
  if (status == "down") return 2;
  if (status == "degraded") return 1;
  return status == "healthy" ? 0 : -1;
}

std::string worse(const std::string& reported, const std::string& probed) {
  return severity(probed) > severity(reported) ? probed : reported;
}

}  // namespace

struct Registry::Service {
  std::map<std::string, std::unique_ptr<Entry>, std::less<>> entries;
  uint64_t generation = 1;  // changes with any instance's data; under the exclusive lock
  std::atomic<uint64_t> beats{0};
};

Registry::Registry(std::shared_ptr<Clock> clock, RegistryStore& store, GroupCommit& writes, EventBus& events)
    : clock_(std::move(clock)), store_(store), writes_(writes), events_(events) {}

Registry::~Registry() = default;

void Registry::restore() {
  std::vector<InstanceRecord> records = store_.load_instances();
  std::unique_lock lock(mutex_);
  for (InstanceRecord& record : records) insert_unlocked(std::move(record));
}

void Registry::insert_unlocked(InstanceRecord record) {
  auto entry = std::make_unique<Entry>();
  const int64_t now_unix = clock_->now_unix_us();
  const int64_t now_mono = clock_->monotonic_us();
  const int64_t beat_unix = record.last_heartbeat_unix_us ? record.last_heartbeat_unix_us : now_unix;
  entry->beat_unix_us = beat_unix;
  entry->beat_mono_us = now_mono - std::max<int64_t>(0, now_unix - beat_unix);
  if (record.down_since_unix_us) entry->down_since_mono_us = now_mono - std::max<int64_t>(0, now_unix - record.down_since_unix_us);
  auto& service = services_[record.service_name];
  if (!service) service = std::make_unique<Service>();
  const std::string id = record.instance_id;
  entry->reported = record.status;
  entry->record = std::move(record);
  service->entries[id] = std::move(entry);
  changed(*service);
}

void Registry::changed(Service& service) {
  ++service.generation;
  ++structure_;
}

InstanceRecord Registry::snapshot(const Entry& entry) const {
  InstanceRecord record = entry.record;
  record.last_heartbeat_unix_us = entry.beat_unix_us.load(std::memory_order_relaxed);
  return record;
}

std::vector<InstanceRecord> Registry::copy(const Service& service) const {
  std::vector<InstanceRecord> records;
  records.reserve(service.entries.size());
  for (const auto& [id, entry] : service.entries) records.push_back(snapshot(*entry));
  return records;
}

Registry::Registered Registry::register_instance(InstanceRecord record) {
  return await<Registered>([&](auto done) { register_instance(std::move(record), std::move(done)); });
}

void Registry::register_instance(InstanceRecord record, std::function<void(Registered)> done) {
  const std::string key = write_key(record.service_name, record.instance_id);
  writes_.submit(key, [this, record = std::move(record), done = std::move(done)]() mutable -> std::optional<GroupCommit::Planned> {
    const int64_t now = clock_->now_unix_us();
    bool created = true;
    {
      std::shared_lock lock(mutex_);
      if (auto service = services_.find(record.service_name); service != services_.end()) {
        if (auto found = service->second->entries.find(record.instance_id); found != service->second->entries.end()) {
          created = false;
          record.registered_at_unix_us = found->second->record.registered_at_unix_us;
        }
      }
    }
    if (created) record.registered_at_unix_us = now;
    record.status = "healthy";
    record.source = "self";
    record.last_heartbeat_unix_us = now;
    record.down_since_unix_us = 0;
    return GroupCommit::Planned{Write{std::move(record)}, [this, created, done = std::move(done)](Write& write) {
                                  Registered result;
                                  if (write.outcome) {  // memory stays as it was
                                    result.status = not_stored("the registration", write.outcome);
                                    return done(std::move(result));
                                  }
                                  result.created = created;
                                  result.instance = std::move(std::get<InstanceRecord>(write.change));
                                  {
                                    std::unique_lock lock(mutex_);
                                    insert_unlocked(result.instance);
                                  }
                                  publish(created ? "instance.registered" : "instance.updated", result.instance);
                                  done(std::move(result));
                                }};
  });
}

Registry::Entry* Registry::find(Service& service, const std::string& instance_id, Lookup& lookup) const {
  if (instance_id.empty()) {
    if (service.entries.size() != 1) {
      lookup = Lookup::ambiguous;
      return nullptr;
    }
    lookup = Lookup::found;
    return service.entries.begin()->second.get();
  }
  auto found = service.entries.find(instance_id);
  lookup = found == service.entries.end() ? Lookup::unknown_instance : Lookup::found;
  return found == service.entries.end() ? nullptr : found->second.get();
}

Registry::Entry* Registry::locate(const std::string& service_name, const std::string& instance_id, Lookup& lookup) const {
  auto service = services_.find(service_name);
  lookup = Lookup::unknown_service;
  return service == services_.end() ? nullptr : find(*service->second, instance_id, lookup);
}

Status Registry::lookup_failed(Lookup lookup, const std::string& service, const std::string& instance_id) {
  switch (lookup) {
    case Lookup::found:
      return {};
    case Lookup::unknown_service:
      return {Code::not_found, "service \"" + service + "\" is not registered; register it first"};
    case Lookup::unknown_instance:
      return {Code::not_found, "instance_id: \"" + instance_id + "\" is not an instance of \"" + service + "\"; register it first"};
    case Lookup::ambiguous:
      break;
  }
  return {Code::invalid_argument, "instance_id: required, because \"" + service + "\" has several instances"};
}

bool Registry::heartbeat_stores(const std::string& service_name, const std::string& instance_id, const std::string& status) const {
  std::shared_lock lock(mutex_);
  auto service = services_.find(service_name);
  if (service == services_.end()) return false;
  Lookup lookup;
  const Entry* entry = find(*service->second, instance_id, lookup);
  return entry && entry->reported != status && worse(status, entry->probed) != entry->record.status;
}

Registry::Beat Registry::heartbeat(const std::string& service_name, const std::string& instance_id, const std::string& status,
                                   const std::map<std::string, double>& metrics) {
  const int64_t now_unix = clock_->now_unix_us();
  Beat beat;
  bool reported_changes = false;
  {
    std::shared_lock lock(mutex_);
    auto service = services_.find(service_name);
    Lookup lookup = Lookup::unknown_service;
    Entry* entry = service == services_.end() ? nullptr : find(*service->second, instance_id, lookup);
    if (!entry) {
      beat.status = lookup_failed(lookup, service_name, instance_id);
      return beat;
    }
    entry->beat_unix_us.store(now_unix, std::memory_order_relaxed);
    entry->beat_mono_us.store(clock_->monotonic_us(), std::memory_order_relaxed);
    entry->dirty.store(true, std::memory_order_relaxed);
    ++service->second->beats;
    beat.instance_id = entry->record.instance_id;
    beat.previous = entry->record.status;
    reported_changes = entry->reported != status;
  }
  {
    std::lock_guard lock(samples_mutex_);
    if (samples_.size() + std::max<size_t>(1, metrics.size()) <= kMaxPendingSamples) {
      if (metrics.empty()) samples_.push_back({service_name, "heartbeat", 1, status, now_unix});
      for (const auto& [type, value] : metrics) samples_.push_back({service_name, type, value, status, now_unix});
    }
  }
  if (reported_changes) {
    try {
      change_status(service_name, beat.instance_id, status, std::nullopt);
    } catch (const StorageError& error) {
      beat.status = {Code::unavailable, std::string("the status change was not stored, nothing changed: ") + error.what(),
                     "storage_unavailable"};
      return beat;
    }
  }
  beat.served = service_status_of(service_name, beat.instance_id).value_or(status);
  return beat;
}

bool Registry::change_status(const std::string& service_name, const std::string& instance_id, std::optional<std::string> reported,
                             std::optional<std::string> probed, std::optional<int64_t> beat_mono_us) {
  struct Outcome {
    bool changed = false;
    Status status;
  };
  // Finds the entry again under the exclusive lock and applies the change: a discovery source may
  // have removed the instance meanwhile.
  auto apply = [this, service_name, instance_id, reported, probed](const std::string& after) {
    std::unique_lock lock(mutex_);
    auto service = services_.find(service_name);
    if (service == services_.end()) return false;
    auto entry = service->second->entries.find(instance_id);
    if (entry == service->second->entries.end()) return false;
    if (reported) entry->second->reported = *reported;
    if (probed) entry->second->probed = *probed;
    if (after != entry->second->record.status) set_status(*service->second, *entry->second, after);
    return true;
  };
  const Outcome outcome = await<Outcome>([&](std::function<void(Outcome)> done) {
    writes_.submit(write_key(service_name, instance_id), [=, this]() -> std::optional<GroupCommit::Planned> {
      std::string before, after;
      {
        std::shared_lock lock(mutex_);
        auto service = services_.find(service_name);
        const Entry* entry = nullptr;
        if (service != services_.end())
          if (auto found = service->second->entries.find(instance_id); found != service->second->entries.end()) entry = found->second.get();
        if (!entry || (beat_mono_us && entry->beat_mono_us.load() != *beat_mono_us)) {
          lock.unlock();
          done({});
          return std::nullopt;
        }
        before = entry->record.status;
        after = worse(reported.value_or(entry->reported), probed.value_or(entry->probed));
      }
      if (after == before) {
        done({apply(after), {}});
        return std::nullopt;
      }
      const int64_t down_since = after == "down" ? clock_->now_unix_us() : 0;
      return GroupCommit::Planned{Write{StatusChange{service_name, instance_id, after, down_since}}, [=](Write& write) {
                                    if (write.outcome) return done({false, write.outcome});
                                    done({apply(after), {}});
                                  }};
    });
  });
  if (outcome.status) throw StorageError(outcome.status.message());
  return outcome.changed;
}

std::optional<std::string> Registry::service_status_of(const std::string& service_name, const std::string& instance_id) const {
  std::shared_lock lock(mutex_);
  auto service = services_.find(service_name);
  if (service == services_.end()) return std::nullopt;
  auto entry = service->second->entries.find(instance_id);
  if (entry == service->second->entries.end()) return std::nullopt;
  return entry->second->record.status;
}

bool Registry::set_probe_status(const std::string& service_name, const std::string& instance_id, const std::string& status) {
  {
    std::shared_lock lock(mutex_);
    auto service = services_.find(service_name);
    if (service == services_.end()) return false;
    auto entry = service->second->entries.find(instance_id);
    if (entry == service->second->entries.end()) return false;
    if (entry->second->probed == status) return true;
  }
  return change_status(service_name, instance_id, std::nullopt, status);
}

void Registry::set_status(Service& service, Entry& entry, const std::string& status) {
  const std::string previous = entry.record.status;
  entry.record.status = status;
  entry.record.down_since_unix_us = status == "down" ? clock_->now_unix_us() : 0;
  entry.down_since_mono_us = status == "down" ? clock_->monotonic_us() : 0;
  changed(service);
  publish("instance.status_changed", snapshot(entry), ",\"previous_status\":" + json_quote(previous));
}

Registry::Removed Registry::deregister(const std::string& service_name, const std::string& instance_id, const std::string& reason) {
  return await<Removed>([&](auto done) { deregister(service_name, instance_id, reason, std::move(done)); });
}

void Registry::deregister(const std::string& service_name, const std::string& instance_id, const std::string& reason,
                          std::function<void(Removed)> done) {
  std::string id = instance_id;
  if (id.empty()) {  // the service's only instance
    std::shared_lock lock(mutex_);
    Lookup lookup;
    const Entry* entry = locate(service_name, id, lookup);
    if (!entry) {
      lock.unlock();
      return done({lookup_failed(lookup, service_name, id)});
    }
    id = entry->record.instance_id;
  }
  writes_.submit(write_key(service_name, id), [this, service_name, id, reason, done]() -> std::optional<GroupCommit::Planned> {
    InstanceRecord record;
    {
      std::shared_lock lock(mutex_);
      Lookup lookup;
      const Entry* entry = locate(service_name, id, lookup);
      if (!entry) {
        lock.unlock();
        done({lookup_failed(lookup, service_name, id)});
        return std::nullopt;
      }
      record = snapshot(*entry);
    }
    if (record.source != "self") {  // a discovery source's: never stored
      Removed removed;
      forget(record, reason, removed);
      done(std::move(removed));
      return std::nullopt;
    }
    return GroupCommit::Planned{Write{InstanceRemoval{service_name, id}}, [this, record, reason, done](Write& write) {
                                  Removed removed;
                                  if (write.outcome)
                                    removed.status = not_stored("the deregistration", write.outcome);
                                  else
                                    forget(record, reason, removed);
                                  done(std::move(removed));
                                }};
  });
}

void Registry::forget(const InstanceRecord& record, const std::string& reason, Removed& removed) {
  {
    std::unique_lock lock(mutex_);
    if (auto service = services_.find(record.service_name); service != services_.end()) {
      service->second->entries.erase(record.instance_id);
      changed(*service->second);
      removed.remaining = service->second->entries.size();
      if (service->second->entries.empty()) services_.erase(service);
    }
  }
  removed.instance_id = record.instance_id;
  publish("instance.deregistered", record, ",\"reason\":" + json_quote(reason));
}

std::vector<InstanceRecord> Registry::instances(const std::string& status_filter, const std::string& tag_filter) const {
  std::shared_lock lock(mutex_);
  std::vector<InstanceRecord> records;
  for (const auto& [name, service] : services_)
    for (const auto& [id, entry] : service->entries) {
      if (!status_filter.empty() && entry->record.status != status_filter) continue;
      if (!tag_filter.empty() && std::find(entry->record.tags.begin(), entry->record.tags.end(), tag_filter) == entry->record.tags.end())
        continue;
      records.push_back(snapshot(*entry));
    }
  return records;
}

std::optional<std::vector<InstanceRecord>> Registry::service(const std::string& name) const {
  std::shared_lock lock(mutex_);
  auto service = services_.find(name);
  if (service == services_.end()) return std::nullopt;
  return copy(*service->second);
}

bool Registry::knows(const std::string& name) const {
  std::shared_lock lock(mutex_);
  return services_.count(name) != 0;
}

std::vector<std::string> Registry::dependencies(const std::string& name) const {
  std::shared_lock lock(mutex_);
  std::set<std::string> names;
  auto service = services_.find(name);
  if (service != services_.end())
    for (const auto& [id, entry] : service->second->entries)
      names.insert(entry->record.dependencies.begin(), entry->record.dependencies.end());
  return {names.begin(), names.end()};
}

std::vector<std::string> Registry::dependents(const std::string& name) const {
  std::shared_lock lock(mutex_);
  std::vector<std::string> names;
  for (const auto& [other, service] : services_)
    for (const auto& [id, entry] : service->entries) {
      const auto& declared = entry->record.dependencies;
      if (std::find(declared.begin(), declared.end(), name) != declared.end()) {
        names.push_back(other);
        break;
      }
    }
  return names;
}

std::string Registry::service_status(const std::string& name) const {
  std::shared_lock lock(mutex_);
  auto service = services_.find(name);
  if (service == services_.end()) return "";
  bool degraded = false;
  for (const auto& [id, entry] : service->second->entries) {
    if (entry->record.status == "healthy") return "healthy";
    degraded = degraded || entry->record.status == "degraded";
  }
  return degraded ? "degraded" : "down";
}

std::optional<Registry::Version> Registry::version(const std::string& name) const {
  std::shared_lock lock(mutex_);
  auto service = services_.find(name);
  if (service == services_.end()) return std::nullopt;
  return Version{service->second->generation, service->second->beats.load(std::memory_order_relaxed),
                 structure_.load(std::memory_order_relaxed)};
}

std::optional<Registry::Snapshot> Registry::snapshot(const std::string& name) const {
  std::shared_lock lock(mutex_);
  auto service = services_.find(name);
  if (service == services_.end()) return std::nullopt;
  return Snapshot{
      {service->second->generation, service->second->beats.load(std::memory_order_relaxed), structure_.load(std::memory_order_relaxed)},
      copy(*service->second)};
}

void Registry::take_stored(InstanceRecord record) {
  std::unique_lock lock(mutex_);
  if (auto service = services_.find(record.service_name); service != services_.end())
    if (auto found = service->second->entries.find(record.instance_id); found != service->second->entries.end())
      record.last_heartbeat_unix_us =
          std::max(record.last_heartbeat_unix_us, found->second->beat_unix_us.load(std::memory_order_relaxed));  // a beat here counts too
  insert_unlocked(std::move(record));
}

void Registry::merge_heartbeats(const std::vector<HeartbeatMark>& marks) {
  const int64_t now_unix = clock_->now_unix_us();
  const int64_t now_mono = clock_->monotonic_us();
  std::shared_lock lock(mutex_);
  for (const HeartbeatMark& mark : marks) {
    auto service = services_.find(mark.service_name);
    if (service == services_.end()) continue;
    auto found = service->second->entries.find(mark.instance_id);
    if (found == service->second->entries.end()) continue;
    Entry& entry = *found->second;
    if (mark.last_heartbeat_unix_us <= entry.beat_unix_us.load(std::memory_order_relaxed)) continue;
    entry.beat_unix_us.store(mark.last_heartbeat_unix_us, std::memory_order_relaxed);
    entry.beat_mono_us.store(now_mono - std::max<int64_t>(0, now_unix - mark.last_heartbeat_unix_us), std::memory_order_relaxed);
  }
}

void Registry::drop_stored(const std::string& service_name, const std::string& instance_id) {
  std::unique_lock lock(mutex_);
  auto service = services_.find(service_name);
  if (service == services_.end() || !service->second->entries.erase(instance_id)) return;
  changed(*service->second);
  if (service->second->entries.empty()) services_.erase(service);
}

void Registry::replace_source(const std::string& source, std::vector<InstanceRecord> records) {
  std::lock_guard write(write_mutex_);
  std::vector<std::pair<std::string, InstanceRecord>> events;
  {
    std::unique_lock lock(mutex_);
    std::set<std::pair<std::string, std::string>> keep;
    for (const InstanceRecord& record : records) keep.emplace(record.service_name, record.instance_id);
    for (auto service = services_.begin(); service != services_.end();) {
      auto& entries = service->second->entries;
      for (auto entry = entries.begin(); entry != entries.end();) {
        if (entry->second->record.source == source && !keep.count({service->first, entry->first})) {
          events.emplace_back("instance.deregistered", snapshot(*entry->second));
          entry = entries.erase(entry);
          changed(*service->second);
        } else {
          ++entry;
        }
      }
      service = entries.empty() ? services_.erase(service) : std::next(service);
    }
  }
  for (InstanceRecord& record : records) upsert_from_source(source, std::move(record));
  for (const auto& [topic, record] : events) publish(topic, record, ",\"reason\":\"source\"");
}

void Registry::upsert_from_source(const std::string& source, InstanceRecord record) {
  record.source = source;
  record.status = "healthy";
  record.last_heartbeat_unix_us = clock_->now_unix_us();
  bool created = true;
  {
    std::unique_lock lock(mutex_);
    auto service = services_.find(record.service_name);
    if (service != services_.end()) {
      auto found = service->second->entries.find(record.instance_id);
      if (found != service->second->entries.end()) {
        if (found->second->record.source != source) return;  // another source, or the instance itself, owns it
        created = false;
        record.registered_at_unix_us = found->second->record.registered_at_unix_us;
        if (found->second->record.host == record.host && found->second->record.port == record.port &&
            found->second->record.tags == record.tags && found->second->record.weight == record.weight)
          return;  // unchanged: a snapshot repeats what it knew
      }
    }
    if (!record.registered_at_unix_us) record.registered_at_unix_us = record.last_heartbeat_unix_us;
    insert_unlocked(record);
  }
  publish(created ? "instance.registered" : "instance.updated", record);
}

void Registry::remove_from_source(const std::string& source, const std::string& service_name, const std::string& instance_id) {
  InstanceRecord record;
  {
    std::unique_lock lock(mutex_);
    auto service = services_.find(service_name);
    if (service == services_.end()) return;
    auto found = service->second->entries.find(instance_id);
    if (found == service->second->entries.end() || found->second->record.source != source) return;
    record = snapshot(*found->second);
    service->second->entries.erase(found);
    changed(*service->second);
    if (service->second->entries.empty()) services_.erase(service);
  }
  publish("instance.deregistered", record, ",\"reason\":\"source\"");
}

void Registry::visit_entries(const std::function<void(const std::string&, const Entry&)>& visit) const {
  constexpr size_t kChunk = 256;
  std::string next_service, next_id;  // the first entry the next chunk visits; "" for the very first
  for (;;) {
    std::shared_lock lock(mutex_);
    size_t visited = 0;
    bool full = false;
    for (auto service = services_.lower_bound(next_service); service != services_.end() && !full; ++service) {
      const auto& entries = service->second->entries;
      for (auto entry = service->first == next_service ? entries.lower_bound(next_id) : entries.begin(); entry != entries.end(); ++entry) {
        if (visited++ == kChunk) {
          next_service = service->first;
          next_id = entry->first;
          full = true;
          break;
        }
        visit(service->first, *entry->second);
      }
    }
    if (!full) return;
  }
}

void Registry::liveness_candidates(std::vector<LivenessCandidate>& candidates) const {
  candidates.clear();
  visit_entries([&](const std::string& name, const Entry& entry) {
    if (entry.record.source != "self") return;
    candidates.push_back({name, entry.record.instance_id, entry.reported, entry.record.status == "down",
                          entry.beat_mono_us.load(std::memory_order_relaxed), entry.down_since_mono_us});
  });
}

bool Registry::apply_liveness(const LivenessCandidate& candidate, hub_liveness_action action) {
  if (action == HUB_LIVENESS_KEEP) return false;
  if (action == HUB_LIVENESS_REMOVE) {
    {
      // A heartbeat that arrived since the assessment wins over it.
      std::shared_lock lock(mutex_);
      auto service = services_.find(candidate.service);
      if (service == services_.end()) return false;
      auto entry = service->second->entries.find(candidate.id);
      if (entry == service->second->entries.end() || entry->second->beat_mono_us.load() != candidate.beat_mono_us) return false;
    }
    Removed removed = deregister(candidate.service, candidate.id, "dead");
    if (removed.status.code() == Code::unavailable) throw StorageError(removed.status.message());
    return removed.status.ok();
  }
  const std::string status = action == HUB_LIVENESS_MARK_DOWN ? "down" : "healthy";
  if (status == candidate.reported) return false;
  return change_status(candidate.service, candidate.id, status, std::nullopt, candidate.beat_mono_us);
}

void Registry::flush_heartbeats() {
  std::vector<HeartbeatMark> marks;
  std::vector<MetricSample> samples;
  visit_entries([&](const std::string& name, const Entry& entry) {
    if (entry.dirty.exchange(false, std::memory_order_relaxed) && entry.record.source == "self")
      marks.push_back({name, entry.record.instance_id, entry.beat_unix_us.load(std::memory_order_relaxed)});
  });
  {
    std::lock_guard lock(samples_mutex_);
    samples.swap(samples_);
  }
  // A chunk per transaction: a backlog of metrics never holds the database for longer than a
  // chunk takes, and the group commits of registrations and config changes go in between.
  size_t stored = 0;
  try {
    for (; stored < std::max(marks.size(), samples.size()); stored += kHeartbeatChunk) {
      auto slice = [&](const auto& all) {
        const size_t from = std::min(stored, all.size()), to = std::min(stored + kHeartbeatChunk, all.size());
        return std::vector(all.begin() + static_cast<std::ptrdiff_t>(from), all.begin() + static_cast<std::ptrdiff_t>(to));
      };
      store_.save_heartbeats(slice(marks), slice(samples));
    }
  } catch (const StorageError&) {
    marks.erase(marks.begin(), marks.begin() + static_cast<std::ptrdiff_t>(std::min(stored, marks.size())));
    samples.erase(samples.begin(), samples.begin() + static_cast<std::ptrdiff_t>(std::min(stored, samples.size())));
    {
      std::shared_lock lock(mutex_);
      for (const HeartbeatMark& mark : marks) {
        auto service = services_.find(mark.service_name);
        if (service == services_.end()) continue;
        auto entry = service->second->entries.find(mark.instance_id);
        if (entry != service->second->entries.end()) entry->second->dirty = true;
      }
    }
    std::lock_guard lock(samples_mutex_);
    const size_t room = kMaxPendingSamples > samples_.size() ? kMaxPendingSamples - samples_.size() : 0;
    if (samples.size() > room) samples.erase(samples.begin(), samples.end() - static_cast<std::ptrdiff_t>(room));
    samples_.insert(samples_.begin(), samples.begin(), samples.end());
    throw;
  }
}

void Registry::publish(const std::string& topic, const InstanceRecord& record, const std::string& extra_json) const {
  if (!events_.wanted(topic)) return;
  events_.publish(Event{topic,
                        "{\"service_name\":" + json_quote(record.service_name) + ",\"instance_id\":" + json_quote(record.instance_id) +
                            ",\"host\":" + json_quote(record.host) + ",\"port\":" + std::to_string(record.port) +
                            ",\"status\":" + json_quote(record.status) + ",\"source\":" + json_quote(record.source) + extra_json + "}",
                        clock_->now_unix_us()});
}

}  // namespace hub
