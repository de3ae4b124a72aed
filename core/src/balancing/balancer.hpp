// Picks a service's instance through a load_balancer implementation, the way
// the core calls every kind: one plugin handle per service, handed the
// service's candidates whenever its instances change, asked to pick on each
// lookup. Which instances are candidates is the core's rule: the healthy ones,
// the degraded ones when none is healthy, and all of them in panic (fewer
// healthy than the service's panic threshold: Envoy's panic mode). The core
// also keeps what every caller reports about each instance (InstanceLoad),
// which strategies weighing live load read during a pick, and applies slow
// start to whichever strategy picks.
#pragma once

#include "balancing/call_outcome.hpp"
#include "balancing/instance_load.hpp"
#include "registry/registry.hpp"

#include <hub/clock.hpp>

#include <hub/balancing_settings.hpp>
#include <hub/status.hpp>
#include "plugin_host/plugin_instance.hpp"

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

namespace hub {

class Balancer {
 public:
  // Makes the handle that balances `service`; throws PluginError when the plugin refuses.
  using MakeHandle = std::function<std::unique_ptr<PluginInstance>(const std::string& service)>;

  // What one pick chose from; immutable once built, so an answer derived from it stays true to it.
  struct Candidates {
    Registry::Version version;
    bool panic = false;
    std::vector<InstanceRecord> instances;             // in instance id order
    std::vector<std::shared_ptr<InstanceLoad>> loads;  // each instance's, in the same order
    uint64_t exclusion_epoch = 0;                      // the service's ejections and drains it left out
    int64_t review_at_us = 0;                          // the first of those ejections ends then (monotonic); 0: none
    size_t left_out = 0;                               // instances draining or ejected
    // A traffic split (set_split): instances [split_begin, end) run the split's version and get
    // split_percent of the picks; the others the rest. split_percent -1: no split.
    size_t split_begin = 0;
    int split_percent = -1;
  };
  struct Picked {
    Status status;  // not_found: no such service; unavailable: none can serve; internal: the plugin failed
    std::shared_ptr<const Candidates> candidates;
    size_t index = 0;
    int64_t lease = 0;  // when the pick was leased: what its outcome names to release it
    const InstanceRecord& instance() const { return candidates->instances[index]; }
    const InstanceLoad& load() const { return *candidates->loads[index]; }
  };
  enum class Lease { none, until_reported };

  Balancer(const Registry& registry, LoadBalancingSettings settings, MakeHandle make_handle,
           std::shared_ptr<const Clock> clock = std::make_shared<SystemClock>());
  ~Balancer();
  Balancer(const Balancer&) = delete;
  Balancer& operator=(const Balancer&) = delete;

  // `key` is the caller's affinity key, empty when it has none. A leased pick counts as a call in
  // flight to the instance until report() names its lease, or the lease ends.
  Picked pick(const std::string& service, std::string_view key = {}, Lease lease = Lease::none);
  // What a caller says about a call to one of the service's instances: false when the hub does not
  // know that instance (gone, or never registered), and the outcome changes nothing.
  bool report(const std::string& service, const CallOutcome& outcome);
  // The `load` metric of an instance's heartbeat.
  void set_load(const std::string& service, const std::string& instance_id, double load);
  // The live figures of one instance, for answers and tests.
  hub_lb_load figures(const InstanceLoad& load) const;
  // The live figures of each instance the service's balancer knows, by instance id.
  std::vector<std::pair<std::string, hub_lb_load>> loads(const std::string& service) const;
  bool knows(const std::string& service) const { return registry_.knows(service); }
  // A draining instance gets no new calls from any pick, panic included, until it stops draining.
  // not_found: no such service or instance. Kept in memory: a restarted hub forgets it.
  Status set_draining(const std::string& service, const std::string& instance_id, bool draining);

  // Sends `percent` (0..100) of the service's picks to its instances running `version`, and the
  // rest to the others, each group balanced by its own handle of the service's strategy (a canary,
  // or a blue-green switch). At 0 or 100 one group gets nothing even when the other has nobody to
  // serve; in between, a group with no candidate leaves every pick to the other. Kept in memory:
  // deployments set it again after a restart.
  void set_split(const std::string& service, const std::string& version, int percent);
  void clear_split(const std::string& service);
  // A held instance gets no calls, like a draining one, and stays held when it deregisters and
  // registers again (an upgrade's restart) until released: a rollout holds those it upgrades.
  // Kept in memory: deployments hold them again after a restart.
  void hold(const std::string& service, const std::string& instance_id, bool held);

  // Outlier detection's ejections: instances out of the candidates for a while.
  struct Ejection {
    std::string service, instance_id;
    int64_t until_us = 0;  // monotonic
    uint32_t times = 0;
    std::string reason;
  };
  std::vector<Ejection> ejections(const std::string& service) const;
  // Compares the success rates callers reported over the last interval, once an interval has
  // passed since the last time (housekeeping calls it each pass), and ejects the outliers.
  void review_outliers();
  // Told of each ejection, on the thread that made it; must not block.
  void on_ejection(std::function<void(const Ejection&)> observer) { ejection_observer_ = std::move(observer); }
  // Told of each outcome report() took (a rollout's gates), on the reporting thread; set before
  // the first report, and must not block.
  void on_report(std::function<void(const std::string& service, const CallOutcome&)> observer) { report_observer_ = std::move(observer); }
  // Services with a handle now; those the registry dropped go when the count passes a bound.
  size_t handles() const;

 private:
  struct State;
  std::shared_ptr<State> state_of(const std::string& service);              // made if missing
  std::shared_ptr<State> existing_state(const std::string& service) const;  // null if missing
  void forget(const std::string& service);
  void refresh(State& state, const std::string& service);
  std::shared_ptr<Candidates> candidates_of(const std::string& service, Registry::Snapshot snapshot) const;
  void attach_loads(State& state, const std::vector<std::pair<std::string, bool>>& health);
  bool eject(const std::string& service, InstanceLoad& load, const std::string& reason);
  bool eject_locked(State& state, const std::string& service, InstanceLoad& load, const std::string& reason, int64_t now_us);
  void review_success_rates(State& state, const std::string& service, int64_t now_us);
  std::shared_ptr<InstanceLoad> find_load(const std::string& service, const std::string& instance_id) const;
  std::shared_ptr<InstanceLoad> load_of(const std::string& service, const std::string& instance_id);  // refreshes when missing
  // One group of the candidates, and the handle that balances it.
  struct Group {
    PluginInstance* handle = nullptr;
    size_t begin = 0, count = 0;
  };
  Group group_for(const State& state, const Candidates& candidates, std::string_view key, uint64_t key_hash) const;
  hub_status choose(const Group& group, const Candidates& candidates, std::string_view key, uint64_t key_hash, size_t& index) const;
  Status offer(PluginInstance& handle, const std::vector<InstanceRecord>& instances, size_t begin, size_t end, const std::string& service);
  double warmth(const SlowStart& slow_start, const InstanceLoad& load, int64_t now_us) const;
  int64_t second(int64_t monotonic_us) const { return monotonic_us / 1'000'000 + 1; }  // never 0: 0 means "no lease"

  const Registry& registry_;
  const LoadBalancingSettings settings_;
  MakeHandle make_handle_;
  const std::shared_ptr<const Clock> clock_;
  std::function<void(const Ejection&)> ejection_observer_;
  std::function<void(const std::string&, const CallOutcome&)> report_observer_;
  int64_t reviewed_at_us_ = 0;       // housekeeping's thread only
  mutable std::shared_mutex mutex_;  // the map; each state has its own
  std::map<std::string, std::shared_ptr<State>, std::less<>> states_;
};

}  // namespace hub
