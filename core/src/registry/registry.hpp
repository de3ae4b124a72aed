// The service registry: every known instance, in memory, keyed by service
// name and instance id. Reads never touch the database. Registrations,
// deregistrations and status changes are written to storage first, committed
// in groups (GroupCommit), and reach memory only once stored; heartbeats stay
// in memory and flush_heartbeats() hands them to storage in batches. Each service's Version moves with every
// change, so readers (the balancer, the API's encoded answers) can tell
// whether what they derived from it is still current.
#pragma once

#include "storage/group_commit.hpp"
#include "storage/instance_record.hpp"
#include "storage/registry_store.hpp"

#include <hub/plugin_api.h>
#include <hub/clock.hpp>
#include <hub/event_bus.hpp>
#include <hub/status.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <vector>

namespace hub {

// Asked by the liveness pass about each self-registered instance.
using AssessLiveness = std::function<hub_liveness_action(const hub_liveness_input&)>;

// A self-registered instance as the liveness pass sees it.
struct LivenessCandidate {
  std::string service, id;
  std::string reported;  // what the instance last said of itself, or the liveness policy for it
  bool down = false;     // served as down (by its word, the policy's or a health check's)
  int64_t beat_mono_us = 0;
  int64_t down_since_mono_us = 0;
};

class Registry {
 public:
  Registry(std::shared_ptr<Clock> clock, RegistryStore& store, GroupCommit& writes, EventBus& events);
  ~Registry();

  // Loads what storage holds (at start, before serving).
  void restore();

  // A write's answer says what storage said when it was not stored, and then nothing changed:
  // unavailable (reason storage_unavailable), or aborted (write_refused) when storage refused it alone.
  struct Registered {
    Status status;
    bool created = false;
    InstanceRecord instance;
  };
  // Stores, then serves; `done` runs once it is served (or refused), on the committing thread or
  // on this one, and must not block.
  void register_instance(InstanceRecord record, std::function<void(Registered)> done);
  Registered register_instance(InstanceRecord record);  // waits

  struct Beat {
    Status status;  // not_found for an unknown service or instance; invalid_argument when the id is needed
    std::string instance_id;
    std::string served;  // the status served after the heartbeat
    std::string previous;
  };
  // instance_id may be empty when the service has one instance. A heartbeat
  // that changes the served status stores it first.
  Beat heartbeat(const std::string& service, const std::string& instance_id, const std::string& status,
                 const std::map<std::string, double>& metrics);
  // Whether that heartbeat would change the served status, and so would wait on storage.
  bool heartbeat_stores(const std::string& service, const std::string& instance_id, const std::string& status) const;

  struct Removed {
    Status status;
    std::string instance_id;
    size_t remaining = 0;
  };
  void deregister(const std::string& service, const std::string& instance_id, const std::string& reason, std::function<void(Removed)> done);
  Removed deregister(const std::string& service, const std::string& instance_id, const std::string& reason = "requested");  // waits

  // A health check's confirmed verdict on one instance; what the registry serves
  // is the worse of it and the instance's own word. False when the instance is unknown.
  bool set_probe_status(const std::string& service, const std::string& instance_id, const std::string& status);

  // Reads.
  std::vector<InstanceRecord> instances(const std::string& status_filter = "", const std::string& tag_filter = "") const;
  std::optional<std::vector<InstanceRecord>> service(const std::string& service) const;
  bool knows(const std::string& service) const;
  std::vector<std::string> dependents(const std::string& service) const;
  std::vector<std::string> dependencies(const std::string& service) const;
  std::string service_status(const std::string& service) const;  // empty when unknown

  // Moves with a service's instances: `generation` with any change of their data or status,
  // `beats` with every heartbeat, `structure` with any change anywhere (dependents span services).
  struct Version {
    uint64_t generation = 0, beats = 0, structure = 0;
    bool operator==(const Version&) const = default;
    // Whether what a reader derived at this version, `age` ago, still stands for `now`: the same
    // instances, and heartbeat times at most a second stale (rebuilding on every heartbeat would
    // cost more than the reads it serves). Dependents span services: callers that show them also
    // compare `structure`.
    bool serves(const Version& now, std::chrono::steady_clock::duration age) const {
      return generation == now.generation && (beats == now.beats || age < std::chrono::seconds(1));
    }
  };
  std::optional<Version> version(const std::string& service) const;
  // A service's instances with the version they belong to, taken together.
  struct Snapshot {
    Version version;
    std::vector<InstanceRecord> instances;  // in instance id order
  };
  std::optional<Snapshot> snapshot(const std::string& service) const;

  // Instances from a discovery source (its own, never persisted).
  // Another hub's stored change, read from the change feed: the instance as stored now (its
  // newest heartbeat here or there), or its removal. Nothing is stored or published again.
  void take_stored(InstanceRecord record);
  void drop_stored(const std::string& service, const std::string& instance_id);
  // Heartbeats other hubs took, as storage holds them: each newer one counts as a beat here.
  void merge_heartbeats(const std::vector<HeartbeatMark>& marks);

  void replace_source(const std::string& source, std::vector<InstanceRecord> records);
  void upsert_from_source(const std::string& source, InstanceRecord record);
  void remove_from_source(const std::string& source, const std::string& service, const std::string& instance_id);

  // The liveness pass: what it may judge, then what it decided for one of them. An action is not
  // applied when a heartbeat arrived since the candidate was taken; true when something changed.
  // Throws StorageError when storage refuses the change (memory keeps the status it had).
  // Fills `out` (its capacity kept: a pass over a large registry allocates nothing).
  void liveness_candidates(std::vector<LivenessCandidate>& out) const;
  bool apply_liveness(const LivenessCandidate& candidate, hub_liveness_action action);
  // Hands coalesced heartbeats and metrics to storage; keeps them for the next
  // try when storage fails (metrics up to a bound). Throws StorageError then.
  void flush_heartbeats();

 private:
  struct Entry;
  struct Service;
  enum class Lookup { found, unknown_service, unknown_instance, ambiguous };

  void publish(const std::string& topic, const InstanceRecord& record, const std::string& extra_json = "") const;
  void set_status(Service& service, Entry& entry, const std::string& status);
  // Applies a new reported and/or probed status; stores the served status when it changes, then
  // serves it, and waits for that. False when the instance is gone, or when `beat_mono_us` is given
  // and a heartbeat came since. Throws StorageError when storage refused it (nothing changed).
  bool change_status(const std::string& service_name, const std::string& instance_id, std::optional<std::string> reported,
                     std::optional<std::string> probed, std::optional<int64_t> beat_mono_us = std::nullopt);
  // Takes a stored removal into memory.
  void forget(const InstanceRecord& record, const std::string& reason, Removed& removed);
  std::optional<std::string> service_status_of(const std::string& service_name, const std::string& instance_id) const;
  Entry* find(Service& service, const std::string& instance_id, Lookup& lookup) const;
  // The entry of an instance (the service's only one when `instance_id` is empty), under a lock the
  // caller holds; nullptr with `lookup` saying why.
  Entry* locate(const std::string& service_name, const std::string& instance_id, Lookup& lookup) const;
  static Status lookup_failed(Lookup lookup, const std::string& service, const std::string& instance_id);
  void changed(Service& service);
  // Every entry, under the shared lock taken a chunk at a time: a pass over a large registry (the
  // liveness pass, the heartbeat flush) never holds a write up for longer than one chunk.
  void visit_entries(const std::function<void(const std::string& service, const Entry& entry)>& visit) const;
  void insert_unlocked(InstanceRecord record);
  std::vector<InstanceRecord> copy(const Service& service) const;
  InstanceRecord snapshot(const Entry& entry) const;

  std::shared_ptr<Clock> clock_;
  RegistryStore& store_;
  GroupCommit& writes_;  // keyed by instance, so each write plans on memory that holds the one before
  EventBus& events_;
  mutable std::shared_mutex mutex_;  // the map and every entry's non-atomic fields
  std::mutex write_mutex_;           // one discovery source's snapshot at a time
  std::map<std::string, std::unique_ptr<Service>, std::less<>> services_;
  std::atomic<uint64_t> structure_{0};  // any change anywhere: dependents lists depend on other services
  std::mutex samples_mutex_;
  std::vector<MetricSample> samples_;
};

}  // namespace hub
