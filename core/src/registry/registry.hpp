// The service registry: every known instance, in memory, keyed by service
// name and instance id. Reads never touch the database. Registrations,
// deregistrations and status changes are written to storage first and reach
// memory only once stored; heartbeats stay in memory and flush_heartbeats()
// hands them to storage in batches.
#pragma once

#include "instance_record.hpp"
#include "storage/registry_store.hpp"

#include <hub/plugin_api.h>
#include <hub/clock.hpp>
#include <hub/deployment.hpp>
#include <hub/event_bus.hpp>

#include <atomic>
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
using LivenessPolicy = std::function<hub_liveness_action(const hub_liveness_input&)>;

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
  Registry(std::shared_ptr<Clock> clock, RegistryStore& store, EventBus& events, LoadBalancingSettings balancing = {});
  ~Registry();

  // Loads what storage holds (at start, before serving).
  void restore();

  struct Registered {
    bool created = false;
    InstanceRecord instance;
  };
  // Stores, then serves. Throws StorageError and changes nothing when storage fails.
  Registered register_instance(InstanceRecord record);

  enum class Lookup { found, unknown_service, unknown_instance, ambiguous };
  struct Beat {
    Lookup lookup = Lookup::found;
    std::string instance_id;
    std::string status;
    std::string previous_status;
    bool needs_store = false;  // may_store was false and the status changes: nothing was applied
    bool reported_changes = false;
  };
  // instance_id may be empty when the service has one instance. A heartbeat
  // that changes the status stores it, unless may_store is false.
  Beat heartbeat(const std::string& service, const std::string& instance_id, const std::string& status,
                 const std::map<std::string, double>& metrics, bool may_store = true);

  struct Removed {
    Lookup lookup = Lookup::found;
    std::string instance_id;
    size_t remaining = 0;
  };
  Removed deregister(const std::string& service, const std::string& instance_id, const std::string& reason = "requested");

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
  // A usable instance, taken in turn: healthy ones, or degraded when none is healthy. In panic
  // (fewer healthy than the service's panic threshold, when it has one) any instance, down ones too.
  enum class Pick { found, unknown_service, none_usable };
  // The picked instance's answer, from a cache of one encoded answer per instance: `build` turns
  // the picked instance (and whether it was picked in panic) into bytes once per change. Pick,
  // lookup and build share one read lock, so an answer always belongs to the instance picked.
  // `variant` (0 or 1) tells encodings apart.
  using BuildPick = std::function<std::string(const InstanceRecord&, bool panic)>;
  Pick pick_answer(const std::string& service, int variant, const BuildPick& build, std::shared_ptr<const std::string>& out) const;

  // A bytes-level cache of answers that depend only on one service's state:
  // `build` runs when the service changed since the cached copy (heartbeats
  // refresh it at most once a second). `slot` names the answer.
  std::shared_ptr<const std::string> cached_answer(const std::string& service, int slot, const std::function<std::string()>& build) const;

  // Instances from a discovery source (its own, never persisted).
  void replace_source(const std::string& source, std::vector<InstanceRecord> records);
  void upsert_from_source(const std::string& source, InstanceRecord record);
  void remove_from_source(const std::string& source, const std::string& service, const std::string& instance_id);

  // The liveness pass: what it may judge, then what it decided for one of them. An action is not
  // applied when a heartbeat arrived since the candidate was taken; true when something changed.
  // Throws StorageError when storage refuses the change (memory keeps the status it had).
  std::vector<LivenessCandidate> liveness_candidates() const;
  bool apply_liveness(const LivenessCandidate& candidate, hub_liveness_action action);
  // Hands coalesced heartbeats and metrics to storage; keeps them for the next
  // try when storage fails (metrics up to a bound). Throws StorageError then.
  void flush_heartbeats();

 private:
  struct Entry;
  struct Service;
  struct AnswerCache;

  void publish(const std::string& topic, const InstanceRecord& record, const std::string& extra_json = "") const;
  void set_status(Service& service, Entry& entry, const std::string& status);
  // Applies a new reported and/or probed status; stores the served status when it changes, then
  // serves it. The caller holds write_mutex_. False when the instance is gone.
  bool change_status(const std::string& service_name, const std::string& instance_id, std::optional<std::string> reported,
                     std::optional<std::string> probed);
  std::optional<std::string> service_status_of(const std::string& service_name, const std::string& instance_id) const;
  Entry* find(Service& service, const std::string& instance_id, Lookup& lookup) const;
  void changed(Service& service);
  const Entry* choose(const Service& service, int panic_percent, size_t& position, bool& panic) const;
  void refresh(const Service& service) const;  // with its cache's mutex held
  void insert_unlocked(InstanceRecord record);
  std::vector<InstanceRecord> copy(const Service& service) const;
  InstanceRecord snapshot(const Entry& entry) const;

  std::shared_ptr<Clock> clock_;
  RegistryStore& store_;
  EventBus& events_;
  LoadBalancingSettings balancing_;
  mutable std::shared_mutex mutex_;  // the map and every entry's non-atomic fields
  std::mutex write_mutex_;           // orders durable writes so storage and memory agree
  std::map<std::string, std::unique_ptr<Service>, std::less<>> services_;
  std::atomic<uint64_t> structure_{0};  // any change anywhere: dependents lists depend on other services
  std::mutex samples_mutex_;
  std::vector<MetricSample> samples_;
};

}  // namespace hub
