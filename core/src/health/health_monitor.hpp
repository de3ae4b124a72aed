// Health monitoring: checks every registered instance that has a health
// endpoint (with the manifest's service_probe) and every infrastructure
// component of the YAML, each on its own interval, through the runner's
// bounded threads. Results pass flap damping; confirmed changes reach the
// registry (what discovery serves), raise one alert per transition, and every
// result is kept in memory (recent history) and in storage (retention).
#pragma once

#include "health_tracker.hpp"
#include "probe_runner.hpp"
#include "registry/registry.hpp"
#include "storage/health_store.hpp"
#include "webhook_sender.hpp"

#include <hub/clock.hpp>
#include <hub/event_bus.hpp>
#include <hub/health_settings.hpp>
#include <hub/metrics.hpp>

#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace hub {

struct CheckRecord {
  Health status = Health::unknown;  // what this check found (after the latency threshold)
  double latency_ms = 0;
  std::string message;
  int64_t at_unix_us = 0;
};

// One checked target, as the API shows it.
struct TargetHealth {
  bool infrastructure = false;
  std::string name;                 // service or component
  std::string instance_id;          // services only
  Health status = Health::unknown;  // confirmed
  std::optional<CheckRecord> last;
  std::vector<CheckRecord> history;  // oldest first
  std::string checked_by;            // several hubs: the id of the hub that checks it now
};

struct Alert {
  // service_down, service_recovered, infrastructure_down, ..., latency_exceeded, latency_recovered, plugin_crashed,
  // liveness_suspended, liveness_resumed
  std::string type;
  std::string name, instance_id;
  std::string status, previous_status;
  std::string message;
  double latency_ms = 0;
  int64_t at_unix_us = 0;
  std::string json() const;
};

struct SchedulerStats {
  size_t targets = 0;
  uint64_t checks = 0;
  int in_flight = 0;
  int stuck_threads = 0;
  double lateness_p50_ms = 0, lateness_p99_ms = 0, lateness_max_ms = 0;  // over the newest checks
};

// Several hubs on one database share the checks out: a hub runs a target's checks only while it
// owns the target's key ("service/<name>/<instance id>" or "infrastructure/<name>"). `epoch` grows
// with every change of the owners, so each target's ownership is asked once per change.
struct CheckOwnership {
  uint64_t epoch = 0;
  std::string self;                                          // this hub's id
  std::function<std::string(const std::string& key)> owner;  // the id of the hub that checks `key`
};

class HealthMonitor {
 public:
  HealthMonitor(HealthMonitoringSettings settings, std::map<std::string, const PluginInstance*> probes, std::shared_ptr<Clock> clock,
                Registry* registry, HealthStore& store, EventBus& events, Metrics& metrics, std::shared_ptr<spdlog::logger> logger);
  ~HealthMonitor();

  void start(bool scheduler_thread);
  // Returns the probes a thread is stuck inside (the hub never destroys those).
  std::vector<const PluginInstance*> stop();

  // Dispatches every check that is due now and waits until none is in flight.
  // Returns how many were dispatched. What the scheduler thread does, for tests.
  int run_due_checks();
  // Writes results to storage and prunes old rows; throws StorageError (rows are kept).
  void flush();

  std::vector<TargetHealth> targets(bool infrastructure, const std::string& name = "") const;
  std::vector<Alert> recent_alerts() const;
  // What is wrong with a probe instance now, by its id: threads stuck inside it.
  std::map<std::string, std::string> probe_problems() const;
  SchedulerStats stats() const;
  // From now on, checks only the targets `ownership` gives this hub. A target it gains is checked
  // at once, starting from the status stored for it (not alerted again).
  void share_checks(std::shared_ptr<const CheckOwnership> ownership);
  // Several hubs on one database: an alert each may raise on its own (a new error, a spike, a
  // circuit, an ejection; not the checks' and liveness's, which one hub decides) is delivered only
  // when `claim(key)` says this hub is the first. Claims run on a thread of the monitor's own.
  void claim_alerts(std::function<bool(const std::string& key)> claim);
  // How many targets this hub checks now, of how many it knows.
  std::pair<size_t, size_t> owned_targets() const;
  HealthStore& store() { return store_; }
  const HealthMonitoringSettings& settings() const { return settings_; }

 private:
  struct Target;
  void add_infrastructure();
  bool owned_now(const std::string& key, Target& target, int64_t now);
  void sync_instances();
  int dispatch_due();
  void on_outcome(const std::string& key, const ProbeOutcome& outcome);
  void alert_on(const Target& target, const HealthTransition& transition, const CheckRecord& record);
  void on_hub_event(const Event& event);
  void raise(Alert alert);
  void deliver(Alert alert);
  void claim_loop();
  void scheduler_loop();

  HealthMonitoringSettings settings_;
  std::map<std::string, const PluginInstance*> probes_;
  std::shared_ptr<Clock> clock_;
  Registry* registry_;
  HealthStore& store_;
  EventBus& events_;
  Metrics& metrics_;
  std::shared_ptr<spdlog::logger> logger_;
  std::unique_ptr<ProbeRunner> runner_;
  std::unique_ptr<WebhookSender> webhooks_;

  mutable std::mutex mutex_;
  std::condition_variable idle_;
  std::condition_variable wake_;
  std::map<std::string, std::unique_ptr<Target>> targets_;
  int in_flight_ = 0;
  uint64_t checks_ = 0;
  std::deque<double> lateness_ms_;
  double lateness_max_ms_ = 0;
  std::deque<Alert> alerts_;
  std::shared_ptr<const CheckOwnership> ownership_;  // null: every target is this hub's
  std::function<bool(const std::string&)> claim_;    // set: shared alerts wait in unclaimed_
  std::deque<Alert> unclaimed_;
  std::thread claimer_;
  std::vector<HealthRow> pending_rows_;
  int64_t last_sync_us_ = INT64_MIN;
  int64_t last_prune_us_ = INT64_MIN;
  bool stopping_ = false;
  std::thread scheduler_;
  uint64_t hub_events_ = 0;  // plugin.crashed and liveness.* on the bus, raised as alerts
};

}  // namespace hub
