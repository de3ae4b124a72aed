#include "balancer.hpp"

#include <hub/errors.hpp>

#include <chrono>

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

}  // namespace

struct Balancer::State {
  std::shared_mutex mutex;  // update_candidates() never runs beside pick(): the ABI's promise
  std::unique_ptr<PluginInstance> handle;
  Status broken;  // the handle could not be made, or refused the candidates
  std::shared_ptr<const Candidates> candidates;
  std::chrono::steady_clock::time_point built_at;

  bool fresh(const Registry::Version& version) const {
    return candidates && candidates->version.serves(version, std::chrono::steady_clock::now() - built_at);
  }
};

Balancer::Balancer(const Registry& registry, LoadBalancingSettings settings, MakeHandle make_handle)
    : registry_(registry), settings_(std::move(settings)), make_handle_(std::move(make_handle)) {}

Balancer::~Balancer() = default;

Balancer::Picked Balancer::pick(const std::string& service, std::string_view key) {
  const std::optional<Registry::Version> version = registry_.version(service);
  if (!version) {
    forget(service);
    return {{Code::not_found, "service \"" + service + "\" is not registered"}};
  }
  std::shared_ptr<State> state = state_of(service);
  std::shared_lock lock(state->mutex);
  if (!state->fresh(*version)) {
    lock.unlock();
    refresh(*state, service);
    lock.lock();
  }
  if (state->broken) return {state->broken};
  Picked picked{{}, state->candidates};
  const auto& vtable = state->handle->vtable<hub_load_balancer_vtable>();
  const hub_str key_view{key.data(), key.size()};
  const hub_status status = picked.candidates->instances.empty()
                                ? HUB_UNAVAILABLE
                                : vtable.pick(state->handle->handle(), key_view, key.empty() ? 0 : hash_of(key), &picked.index);
  if (status == HUB_UNAVAILABLE)
    return {{Code::unavailable, "service \"" + service + "\" has no healthy or degraded instance; every instance is down"}};
  if (status != HUB_OK)
    return {{Code::internal, "load balancer '" + state->handle->id() + "' failed to pick: " + state->handle->last_error()}};
  if (picked.index >= picked.candidates->instances.size())
    return {{Code::internal, "load balancer '" + state->handle->id() + "' picked candidate " + std::to_string(picked.index) + " of " +
                                 std::to_string(picked.candidates->instances.size())}};
  return picked;
}

std::shared_ptr<Balancer::State> Balancer::state_of(const std::string& service) {
  {
    std::shared_lock lock(mutex_);
    if (auto found = states_.find(service); found != states_.end()) return found->second;
  }
  std::unique_lock lock(mutex_);
  if (states_.size() >= kSweepAbove)
    for (auto state = states_.begin(); state != states_.end();)
      state = registry_.knows(state->first) ? std::next(state) : states_.erase(state);
  auto& state = states_[service];
  if (!state) state = std::make_shared<State>();
  return state;
}

// A service gone from the registry takes its handle along. Lookups of names never registered
// (a client's typo, a hostile scan) find nothing to erase and take no exclusive lock.
void Balancer::forget(const std::string& service) {
  {
    std::shared_lock lock(mutex_);
    if (states_.find(service) == states_.end()) return;
  }
  std::unique_lock lock(mutex_);
  states_.erase(service);
}

size_t Balancer::handles() const {
  std::shared_lock lock(mutex_);
  return states_.size();
}

void Balancer::refresh(State& state, const std::string& service) {
  std::unique_lock lock(state.mutex);
  std::optional<Registry::Snapshot> snapshot = registry_.snapshot(service);
  if (!snapshot) return;                       // removed meanwhile: the next pick says so
  if (state.fresh(snapshot->version)) return;  // another thread refreshed it first
  if (!state.handle && !state.broken) {
    try {
      state.handle = make_handle_(service);
    } catch (const std::exception& error) {
      state.broken = {Code::internal, std::string("no load balancer for service \"") + service + "\": " + error.what()};
    }
  }
  state.candidates = candidates_of(service, std::move(*snapshot));
  state.built_at = std::chrono::steady_clock::now();
  if (!state.handle) return;
  std::vector<hub_lb_candidate> views;
  views.reserve(state.candidates->instances.size());
  for (const InstanceRecord& record : state.candidates->instances)
    views.push_back({sizeof(hub_lb_candidate),
                     {record.instance_id.data(), record.instance_id.size()},
                     {record.host.data(), record.host.size()},
                     record.port,
                     record.weight,
                     health_of(record.status),
                     -1,
                     -1,
                     0});
  const auto& vtable = state.handle->vtable<hub_load_balancer_vtable>();
  state.broken = {};
  if (vtable.update_candidates(state.handle->handle(), views.data(), views.size()) != HUB_OK)
    state.broken = {Code::internal, "load balancer '" + state.handle->id() + "' refused the candidates of \"" + service +
                                        "\": " + state.handle->last_error()};
}

std::shared_ptr<const Balancer::Candidates> Balancer::candidates_of(const std::string& service, Registry::Snapshot snapshot) const {
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
