#include "balancer.hpp"

#include <hub/errors.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <random>
#include <set>

namespace hub {

namespace {

// Past this many handles, those of services the registry no longer has are dropped: registrants
// choose service names, and a handle each for names long gone would grow without bound.
constexpr size_t kSweepAbove = 4096;

hub_health health_of(const std::string& status) {
  if (status == "healthy") return HUB_HEALTH_HEALTHY;
  if (status == "degraded") return HUB_HEALTH_DEGRADED;
  return status == "down" ? HUB_HEALTH_DOWN : HUB_HEALTH_UNKNOWN;
}

uint64_t hash_of(std::string_view key) {  // FNV-1a: cheap, and stable across hubs
  uint64_t hash = 14695981039346656037ull;
  for (unsigned char c : key) hash = (hash ^ c) * 1099511628211ull;
  return hash;
}

uint64_t mixed(uint64_t value) {  // splitmix64's finalizer
  value = (value ^ (value >> 30)) * 0xbf58476d1ce4e5b9ULL;
  value = (value ^ (value >> 27)) * 0x94d049bb133111ebULL;
  return value ^ (value >> 31);
}

double uniform(uint64_t bits) {
  return static_cast<double>(bits >> 11) * 0x1.0p-53;
}

uint64_t random_bits() {  // one generator per thread: a pick never waits on another
  thread_local uint64_t state = std::random_device{}() | (uint64_t{std::random_device{}()} << 32);
  return mixed(state += 0x9e3779b97f4a7c15ULL);
}

// Slow start tries again this many times at most when the pick lands on a warming instance.
constexpr int kWarmingTries = 4;

// What the candidates' live figures are read against during one pick.
struct LiveView {
  const Balancer::Candidates* candidates;
  size_t offset;  // of the picking group's first candidate
  int64_t now_us;
  int64_t now_second;
  int64_t decay_us;
  int64_t lease_seconds;
};

void read_live(void* context, size_t index, hub_lb_load* out) {
  const LiveView& view = *static_cast<const LiveView*>(context);
  if (!out || view.offset + index >= view.candidates->loads.size()) return;
  InstanceLoad& load = *view.candidates->loads[view.offset + index];
  load.expire(view.now_second, view.lease_seconds);
  if (HUB_HAS_MEMBER(out, hub_lb_load, active_requests))
    out->active_requests = static_cast<uint32_t>(std::min<int64_t>(load.in_flight(), UINT32_MAX));
  if (HUB_HAS_MEMBER(out, hub_lb_load, latency_us)) out->latency_us = load.latency_us(view.now_us, view.decay_us);
  if (HUB_HAS_MEMBER(out, hub_lb_load, load)) out->load = load.load();
}

}  // namespace

struct Balancer::State {
  std::shared_mutex mutex;  // update_candidates() never runs beside pick(): the ABI's promise
  std::unique_ptr<PluginInstance> handle;
  std::unique_ptr<PluginInstance> split_handle;  // balances the split's group while there is one
  Status broken;                                 // a handle could not be made, or refused the candidates
  std::string split_version;
  int split_percent = -1;
  std::set<std::string, std::less<>> held;  // by instance id, whether registered now or not
  std::shared_ptr<const Candidates> candidates;
  std::chrono::steady_clock::time_point built_at;
  std::map<std::string, std::shared_ptr<InstanceLoad>, std::less<>> loads;  // every instance's, by id
  bool balanced_before = false;                                             // instances there at the first candidate set start warm

  std::atomic<uint64_t> exclusion_epoch{0};  // moves with every ejection and drain
  std::atomic<bool> rollout_pinned{false};   // held instances or a split: kept when the service is gone
  bool pinned() const { return rollout_pinned.load(std::memory_order_relaxed); }
  void repin() { rollout_pinned.store(!held.empty() || split_percent >= 0, std::memory_order_relaxed); }

  bool fresh(const Registry::Version& version, int64_t now_us) const {
    return candidates && candidates->version.serves(version, std::chrono::steady_clock::now() - built_at) &&
           candidates->exclusion_epoch == exclusion_epoch.load(std::memory_order_relaxed) &&
           (candidates->review_at_us == 0 || now_us < candidates->review_at_us);
  }
};

Balancer::Balancer(const Registry& registry, LoadBalancingSettings settings, MakeHandle make_handle, std::shared_ptr<const Clock> clock)
    : registry_(registry), settings_(std::move(settings)), make_handle_(std::move(make_handle)), clock_(std::move(clock)) {}

Balancer::~Balancer() = default;

Balancer::Picked Balancer::pick(const std::string& service, std::string_view key, Lease lease) {
  const std::optional<Registry::Version> version = registry_.version(service);
  if (!version) {
    forget(service);
    return {{Code::not_found, "service \"" + service + "\" is not registered"}};
  }
  std::shared_ptr<State> state = state_of(service);
  std::shared_lock lock(state->mutex);
  if (!state->fresh(*version, clock_->monotonic_us())) {
    lock.unlock();
    refresh(*state, service);
    lock.lock();
  }
  if (state->broken) return {state->broken};
  Picked picked{{}, state->candidates};
  const Candidates& candidates = *picked.candidates;
  const uint64_t key_hash = key.empty() ? 0 : hash_of(key);
  const Group group = group_for(*state, candidates, key, key_hash);
  hub_status status = group.count == 0 ? HUB_UNAVAILABLE : choose(group, candidates, key, key_hash, picked.index);
  const SlowStart& slow_start = settings_.slow_start_for(service);
  if (slow_start.window_seconds > 0) {
    // Strategy-blind slow start: a pick that lands on a warming instance stands with the
    // instance's warmth as probability, else the strategy picks again. A keyed pick draws from its
    // key, so a key keeps its instance, and more keys move to the newcomer as it warms.
    const int64_t now_us = clock_->monotonic_us();
    for (int attempt = 1; status == HUB_OK && attempt < kWarmingTries; ++attempt) {
      const uint64_t draw = key.empty() ? random_bits() : mixed(key_hash + static_cast<uint64_t>(attempt));
      if (uniform(draw) < warmth(slow_start, *candidates.loads[picked.index], now_us)) break;
      status = choose(group, candidates, key, key.empty() ? 0 : draw, picked.index);
    }
  }
  if (status == HUB_UNAVAILABLE && candidates.left_out > 0)
    return {{Code::unavailable, "service \"" + service + "\" has no instance to call: " + std::to_string(candidates.left_out) +
                                    " draining or ejected, the others down"}};
  if (status == HUB_UNAVAILABLE)
    return {{Code::unavailable, "service \"" + service + "\" has no healthy or degraded instance; every instance is down"}};
  if (status != HUB_OK)
    return {{Code::internal, "load balancer '" + group.handle->id() + "' failed to pick: " + group.handle->last_error()}};
  if (picked.index >= group.count)
    return {{Code::internal, "load balancer '" + group.handle->id() + "' picked candidate " + std::to_string(picked.index) + " of " +
                                 std::to_string(group.count)}};
  picked.index += group.begin;
  if (lease == Lease::until_reported) {
    const int64_t now_second = second(clock_->monotonic_us());
    candidates.loads[picked.index]->expire(now_second, settings_.lease_seconds);
    candidates.loads[picked.index]->lease(now_second);
    picked.lease = now_second;
  }
  return picked;
}

// Without a split, every candidate is one group. With one, a draw (from the key, when there is
// one, so a key stays on its side) chooses the side.
Balancer::Group Balancer::group_for(const State& state, const Candidates& candidates, std::string_view key, uint64_t key_hash) const {
  const size_t total = candidates.instances.size();
  const Group rest{state.handle.get(), 0, candidates.split_begin};
  const Group split{state.split_handle.get(), candidates.split_begin, total - candidates.split_begin};
  if (candidates.split_percent < 0) return {state.handle.get(), 0, total};
  if (candidates.split_percent == 0) return rest;
  if (candidates.split_percent >= 100) return split;
  if (split.count == 0) return rest;
  if (rest.count == 0) return split;
  const uint64_t draw = key.empty() ? random_bits() : mixed(key_hash ^ 0x5bd1e995ULL);
  return uniform(draw) * 100 < candidates.split_percent ? split : rest;
}

hub_status Balancer::choose(const Group& group, const Candidates& candidates, std::string_view key, uint64_t key_hash,
                            size_t& index) const {
  const auto& vtable = group.handle->vtable<hub_load_balancer_vtable>();
  const hub_str key_view{key.data(), key.size()};
  if (!HUB_HAS_MEMBER(&vtable, hub_load_balancer_vtable, pick_live) || !vtable.pick_live)
    return vtable.pick(group.handle->handle(), key_view, key_hash, &index);
  const int64_t now_us = clock_->monotonic_us();
  LiveView view{
      &candidates, group.begin, now_us, second(now_us), int64_t{settings_.latency_decay_seconds} * 1'000'000, settings_.lease_seconds};
  const hub_lb_live live{sizeof(hub_lb_live), &view, &read_live};
  return vtable.pick_live(group.handle->handle(), key_view, key_hash, &live, &index);
}

double Balancer::warmth(const SlowStart& slow_start, const InstanceLoad& load, int64_t now_us) const {
  const int64_t since = load.warming_since_us.load(std::memory_order_relaxed);
  if (since == 0) return 1;
  const double age = static_cast<double>(now_us - since) / (slow_start.window_seconds * 1e6);
  if (age >= 1) return 1;
  return std::max(slow_start.min_weight_percent / 100.0, std::pow(std::max(age, 0.0), 1 / slow_start.aggression));
}

bool Balancer::report(const std::string& service, const CallOutcome& outcome) {
  std::shared_ptr<InstanceLoad> load = load_of(service, outcome.instance_id);
  if (!load) return false;
  const int64_t now_us = clock_->monotonic_us();
  if (outcome.lease > 0) load->release(outcome.lease, second(now_us), settings_.lease_seconds);
  // A failure or a refusal is often fast: counting its time would make a failing instance look
  // like the quickest and draw traffic to it. Outlier ejection deals with failing instances.
  if (outcome.result == CallResult::success || outcome.result == CallResult::timeout)
    load->observe_latency(outcome.duration_us, now_us, int64_t{settings_.latency_decay_seconds} * 1'000'000);
  const bool succeeded = outcome.result == CallResult::success;
  load->interval_calls.fetch_add(1, std::memory_order_relaxed);
  load->interval_successes.fetch_add(succeeded, std::memory_order_relaxed);
  const OutlierDetection& outliers = settings_.outlier_detection;
  if (succeeded) {
    load->consecutive_failures.store(0, std::memory_order_relaxed);
  } else if (const uint32_t failures = load->consecutive_failures.fetch_add(1, std::memory_order_relaxed) + 1;
             outliers.consecutive_failures > 0 && failures >= static_cast<uint32_t>(outliers.consecutive_failures)) {
    eject(service, *load, std::to_string(failures) + " consecutive failed calls");
  }
  if (report_observer_) report_observer_(service, outcome);
  return true;
}

bool Balancer::eject(const std::string& service, InstanceLoad& load, const std::string& reason) {
  const std::shared_ptr<State> state = existing_state(service);
  if (!state) return false;
  std::unique_lock lock(state->mutex);
  return eject_locked(*state, service, load, reason, clock_->monotonic_us());
}

// Ejects unless that would put more than max_ejection_percent of the service's instances out at
// once: counted exactly, so with 10% and fewer than ten instances none is ever ejected (Envoy
// ejects one anyway: envoy#3263).
bool Balancer::eject_locked(State& state, const std::string& service, InstanceLoad& load, const std::string& reason, int64_t now_us) {
  if (load.ejected(now_us)) return false;
  size_t ejected = 0;
  for (const auto& [id, other] : state.loads) ejected += other->ejected(now_us);
  const OutlierDetection& outliers = settings_.outlier_detection;
  if ((ejected + 1) * 100 > static_cast<size_t>(outliers.max_ejection_percent) * state.loads.size()) return false;
  load.times_ejected += 1;
  const int64_t seconds = std::min<int64_t>(int64_t{outliers.base_ejection_seconds} * load.times_ejected, outliers.max_ejection_seconds);
  load.ejected_until_us.store(now_us + seconds * 1'000'000, std::memory_order_relaxed);
  load.ejection_reason = reason;
  load.consecutive_failures.store(0, std::memory_order_relaxed);
  state.exclusion_epoch.fetch_add(1, std::memory_order_relaxed);
  if (ejection_observer_) {
    for (const auto& [id, other] : state.loads)
      if (other.get() == &load) ejection_observer_({service, id, now_us + seconds * 1'000'000, load.times_ejected, reason});
  }
  return true;
}

Status Balancer::set_draining(const std::string& service, const std::string& instance_id, bool draining) {
  if (!registry_.knows(service)) return {Code::not_found, "service \"" + service + "\" is not registered"};
  std::shared_ptr<InstanceLoad> load = load_of(service, instance_id);
  if (!load) return {Code::not_found, "service \"" + service + "\" has no instance \"" + instance_id + "\""};
  const std::shared_ptr<State> state = existing_state(service);
  std::unique_lock lock(state->mutex);
  if (load->draining.exchange(draining, std::memory_order_relaxed) != draining)
    state->exclusion_epoch.fetch_add(1, std::memory_order_relaxed);  // the next pick rebuilds the candidates
  return {};
}

void Balancer::hold(const std::string& service, const std::string& instance_id, bool held) {
  const std::shared_ptr<State> state = held ? state_of(service) : existing_state(service);
  if (!state) return;
  std::unique_lock lock(state->mutex);
  const bool changed = held ? state->held.insert(instance_id).second : state->held.erase(instance_id) > 0;
  if (changed) state->exclusion_epoch.fetch_add(1, std::memory_order_relaxed);
  state->repin();
}

void Balancer::set_split(const std::string& service, const std::string& version, int percent) {
  const std::shared_ptr<State> state = state_of(service);
  std::unique_lock lock(state->mutex);
  percent = std::clamp(percent, 0, 100);
  if (state->split_version == version && state->split_percent == percent) return;
  state->split_version = version;
  state->split_percent = percent;
  state->repin();
  state->exclusion_epoch.fetch_add(1, std::memory_order_relaxed);
}

void Balancer::clear_split(const std::string& service) {
  const std::shared_ptr<State> state = existing_state(service);
  if (!state) return;
  std::unique_lock lock(state->mutex);
  if (state->split_percent < 0) return;
  state->split_version.clear();
  state->split_percent = -1;
  state->split_handle.reset();
  state->repin();
  state->exclusion_epoch.fetch_add(1, std::memory_order_relaxed);
}

std::vector<Balancer::Ejection> Balancer::ejections(const std::string& service) const {
  std::vector<Ejection> out;
  const std::shared_ptr<State> state = existing_state(service);
  if (!state) return out;
  const int64_t now_us = clock_->monotonic_us();
  std::shared_lock lock(state->mutex);
  for (const auto& [id, load] : state->loads)
    if (load->ejected(now_us))
      out.push_back({service, id, load->ejected_until_us.load(std::memory_order_relaxed), load->times_ejected, load->ejection_reason});
  return out;
}

void Balancer::review_outliers() {
  const int64_t now_us = clock_->monotonic_us();
  const OutlierDetection& outliers = settings_.outlier_detection;
  if (reviewed_at_us_ != 0 && now_us - reviewed_at_us_ < int64_t{outliers.interval_seconds} * 1'000'000) return;
  reviewed_at_us_ = now_us;
  std::vector<std::pair<std::string, std::shared_ptr<State>>> all;
  {
    std::shared_lock lock(mutex_);
    all.assign(states_.begin(), states_.end());
  }
  for (auto& [service, state] : all) {
    std::unique_lock lock(state->mutex);
    review_success_rates(*state, service, now_us);
  }
}

// Envoy's success-rate outlier detection: among the instances with enough calls this interval
// (and only when there are enough of them), those below mean - factor * deviation are ejected.
// An instance that went an interval without ejection has its next ejection shortened by one step.
void Balancer::review_success_rates(State& state, const std::string& service, int64_t now_us) {
  const OutlierDetection& outliers = settings_.outlier_detection;
  std::vector<std::pair<InstanceLoad*, double>> rates;
  for (const auto& [id, load] : state.loads) {
    const uint32_t calls = load->interval_calls.exchange(0, std::memory_order_relaxed);
    const uint32_t successes = load->interval_successes.exchange(0, std::memory_order_relaxed);
    if (!load->ejected(now_us) && load->times_ejected > 0 && calls > 0) load->times_ejected -= 1;
    if (calls >= static_cast<uint32_t>(outliers.success_rate_request_volume) && !load->ejected(now_us))
      rates.emplace_back(load.get(), 100.0 * successes / calls);
  }
  if (outliers.success_rate_stdev_factor <= 0 || rates.size() < static_cast<size_t>(outliers.success_rate_minimum_hosts)) return;
  double mean = 0, variance = 0;
  for (const auto& [load, rate] : rates) mean += rate;
  mean /= static_cast<double>(rates.size());
  for (const auto& [load, rate] : rates) variance += (rate - mean) * (rate - mean);
  const double threshold = mean - outliers.success_rate_stdev_factor * std::sqrt(variance / static_cast<double>(rates.size()));
  for (const auto& [load, rate] : rates)
    if (rate < threshold) {
      char reason[160];
      std::snprintf(reason, sizeof reason, "success rate %.1f%% below the fleet's threshold %.1f%% (mean %.1f%%)", rate, threshold, mean);
      eject_locked(state, service, *load, reason, now_us);
    }
}

void Balancer::set_load(const std::string& service, const std::string& instance_id, double load) {
  if (std::shared_ptr<InstanceLoad> found = load_of(service, instance_id)) found->set_load(load);
}

// An instance the balancer has not seen yet (a newcomer, or a service nobody picked from: callers
// that pick on their own) gets its entry with the candidates; refresh() is cheap when they are fresh.
std::shared_ptr<InstanceLoad> Balancer::load_of(const std::string& service, const std::string& instance_id) {
  if (std::shared_ptr<InstanceLoad> found = find_load(service, instance_id)) return found;
  if (!registry_.knows(service)) return nullptr;
  refresh(*state_of(service), service);
  return find_load(service, instance_id);
}

std::shared_ptr<InstanceLoad> Balancer::find_load(const std::string& service, const std::string& instance_id) const {
  const std::shared_ptr<State> state = existing_state(service);
  if (!state) return nullptr;
  std::shared_lock lock(state->mutex);
  auto found = state->loads.find(instance_id);
  return found == state->loads.end() ? nullptr : found->second;
}

std::vector<std::pair<std::string, hub_lb_load>> Balancer::loads(const std::string& service) const {
  std::vector<std::pair<std::string, std::shared_ptr<InstanceLoad>>> known;
  if (const std::shared_ptr<State> state = existing_state(service)) {
    std::shared_lock lock(state->mutex);
    known.assign(state->loads.begin(), state->loads.end());
  }
  std::vector<std::pair<std::string, hub_lb_load>> out;
  for (const auto& [id, load] : known) out.emplace_back(id, figures(*load));
  return out;
}

hub_lb_load Balancer::figures(const InstanceLoad& load) const {
  const int64_t now_us = clock_->monotonic_us();
  const_cast<InstanceLoad&>(load).expire(second(now_us), settings_.lease_seconds);
  return {sizeof(hub_lb_load), static_cast<uint32_t>(std::min<int64_t>(load.in_flight(), UINT32_MAX)),
          load.latency_us(now_us, int64_t{settings_.latency_decay_seconds} * 1'000'000), load.load()};
}

std::shared_ptr<Balancer::State> Balancer::existing_state(const std::string& service) const {
  std::shared_lock lock(mutex_);
  auto found = states_.find(service);
  return found == states_.end() ? nullptr : found->second;
}

std::shared_ptr<Balancer::State> Balancer::state_of(const std::string& service) {
  if (std::shared_ptr<State> found = existing_state(service)) return found;
  std::unique_lock lock(mutex_);
  if (states_.size() >= kSweepAbove)
    for (auto state = states_.begin(); state != states_.end();)
      state = registry_.knows(state->first) || state->second->pinned() ? std::next(state) : states_.erase(state);
  auto& state = states_[service];
  if (!state) state = std::make_shared<State>();
  return state;
}

// A service gone from the registry takes its handle along, unless a rollout holds instances or
// splits its calls (its only instance restarting to upgrade). Lookups of names never registered
// (a client's typo, a hostile scan) find nothing to erase and take no exclusive lock.
void Balancer::forget(const std::string& service) {
  {
    std::shared_lock lock(mutex_);
    auto found = states_.find(service);
    if (found == states_.end() || found->second->pinned()) return;
  }
  std::unique_lock lock(mutex_);
  auto found = states_.find(service);
  if (found != states_.end() && !found->second->pinned()) states_.erase(found);
}

size_t Balancer::handles() const {
  std::shared_lock lock(mutex_);
  return states_.size();
}

void Balancer::refresh(State& state, const std::string& service) {
  std::unique_lock lock(state.mutex);
  std::optional<Registry::Snapshot> snapshot = registry_.snapshot(service);
  if (!snapshot) return;  // removed meanwhile: the next pick says so
  const int64_t now_us = clock_->monotonic_us();
  if (state.fresh(snapshot->version, now_us)) return;  // another thread refreshed it first
  const auto make = [&](std::unique_ptr<PluginInstance>& handle) {
    if (handle || state.broken) return;  // one that could not be made is not tried again on every pick
    try {
      handle = make_handle_(service);
    } catch (const std::exception& error) {
      state.broken = {Code::internal, std::string("no load balancer for service \"") + service + "\": " + error.what()};
    }
  };
  make(state.handle);
  if (state.split_percent >= 0) make(state.split_handle);
  std::vector<std::pair<std::string, bool>> health;  // every instance, healthy or not, in id order
  for (const InstanceRecord& record : snapshot->instances) health.emplace_back(record.instance_id, record.status == "healthy");
  attach_loads(state, health);
  // Ejected instances are out, and count as unhealthy toward the panic threshold, as Envoy's.
  const uint64_t epoch = state.exclusion_epoch.load(std::memory_order_relaxed);
  int64_t review_at_us = 0;
  const size_t registered = snapshot->instances.size();
  std::erase_if(snapshot->instances, [&](const InstanceRecord& record) {
    const InstanceLoad& load = *state.loads.at(record.instance_id);
    // Not even in panic: it asked for no new calls, or a rollout is upgrading it.
    if (load.draining.load(std::memory_order_relaxed) || state.held.count(record.instance_id)) return true;
    if (!load.ejected(now_us)) return false;
    const int64_t until = load.ejected_until_us.load(std::memory_order_relaxed);
    review_at_us = review_at_us == 0 ? until : std::min(review_at_us, until);
    return true;
  });
  const size_t left_out = registered - snapshot->instances.size();
  std::shared_ptr<Candidates> candidates = candidates_of(service, std::move(*snapshot));
  candidates->left_out = left_out;
  candidates->exclusion_epoch = epoch;
  candidates->review_at_us = review_at_us;
  if (state.split_percent >= 0) {
    // The split's version last, each side in id order.
    std::vector<InstanceRecord>& instances = candidates->instances;
    const auto split = std::stable_partition(instances.begin(), instances.end(),
                                             [&](const InstanceRecord& record) { return record.version != state.split_version; });
    candidates->split_begin = static_cast<size_t>(split - instances.begin());
    candidates->split_percent = state.split_percent;
  } else {
    candidates->split_begin = candidates->instances.size();
  }
  for (const InstanceRecord& record : candidates->instances) candidates->loads.push_back(state.loads.at(record.instance_id));
  state.candidates = std::move(candidates);
  state.built_at = std::chrono::steady_clock::now();
  if (!state.handle || (state.split_percent >= 0 && !state.split_handle)) return;
  const std::vector<InstanceRecord>& instances = state.candidates->instances;
  const size_t split_begin = state.candidates->split_begin;
  state.broken = offer(*state.handle, instances, 0, split_begin, service);
  if (!state.broken && state.split_handle) state.broken = offer(*state.split_handle, instances, split_begin, instances.size(), service);
}

Status Balancer::offer(PluginInstance& handle, const std::vector<InstanceRecord>& instances, size_t begin, size_t end,
                       const std::string& service) {
  std::vector<hub_lb_candidate> views;
  views.reserve(end - begin);
  for (size_t i = begin; i < end; ++i) {
    const InstanceRecord& record = instances[i];
    views.push_back({sizeof(hub_lb_candidate),
                     {record.instance_id.data(), record.instance_id.size()},
                     {record.host.data(), record.host.size()},
                     record.port,
                     record.weight,
                     health_of(record.status),
                     -1,
                     -1,
                     0});
  }
  const auto& vtable = handle.vtable<hub_load_balancer_vtable>();
  if (vtable.update_candidates(handle.handle(), views.data(), views.size()) == HUB_OK) return {};
  return {Code::internal, "load balancer '" + handle.id() + "' refused the candidates of \"" + service + "\": " + handle.last_error()};
}

// Keeps an InstanceLoad for every instance of the service (a down one keeps its figures for when it
// is back) and none for those gone; marks the ones that just became healthy as warming.
void Balancer::attach_loads(State& state, const std::vector<std::pair<std::string, bool>>& health) {
  const int64_t now_us = clock_->monotonic_us();
  std::map<std::string, std::shared_ptr<InstanceLoad>, std::less<>> loads;
  for (const auto& [id, healthy] : health) {
    auto found = state.loads.find(id);
    std::shared_ptr<InstanceLoad> load = found != state.loads.end() ? found->second : std::make_shared<InstanceLoad>(second(now_us));
    if (healthy && !load->was_healthy && state.balanced_before)
      load->warming_since_us.store(std::max<int64_t>(now_us, 1), std::memory_order_relaxed);
    load->was_healthy = healthy;
    loads.emplace(id, std::move(load));
  }
  state.loads = std::move(loads);
  state.balanced_before = true;
}

std::shared_ptr<Balancer::Candidates> Balancer::candidates_of(const std::string& service, Registry::Snapshot snapshot) const {
  auto candidates = std::make_shared<Candidates>();
  candidates->version = snapshot.version;
  std::vector<InstanceRecord>& all = snapshot.instances;
  size_t healthy = 0;
  for (const InstanceRecord& record : all) healthy += record.status == "healthy";
  const int panic_percent = settings_.panic_threshold_for(service);
  if (panic_percent > 0 && !all.empty() && healthy * 100 < static_cast<size_t>(panic_percent) * all.size()) {
    // With too few healthy instances left, the health verdicts are likelier wrong than the
    // instances all dead, and spreading over all beats overloading the few.
    candidates->panic = true;
    candidates->instances = std::move(all);
    return candidates;
  }
  const char* usable = healthy ? "healthy" : "degraded";
  for (InstanceRecord& record : all)
    if (record.status == usable) candidates->instances.push_back(std::move(record));
  return candidates;
}

}  // namespace hub
