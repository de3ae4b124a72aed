// The C++ SDK for Central Hub plugins: header-only, over <hub/plugin_api.h>.
//
// Write a class per implementation, then one HUB_PLUGIN line:
//
//   #include <hub/plugin.hpp>
//
//   class DiskSpaceProbe {
//    public:
//     explicit DiskSpaceProbe(const hub::Context& context);      // may throw
//     hub::ProbeResult check(const hub::ProbeTarget& target, hub::Deadline deadline);
//   };
//
//   HUB_PLUGIN(disk_space_plugin, "disk-space-probe", "1.0.0", "Free space on a path",
//              HUB_HEALTH_PROBE("disk_space", DiskSpaceProbe))
//
// The macro defines `disk_space_plugin`, a function returning the descriptor
// (hand it to the hub directly to link the plugin statically), and exports it
// as the library's entry symbol unless HUB_PLUGIN_STATIC is defined. Every
// exception thrown by a constructor or hook becomes a status code and a
// get_last_error message; throw hub::Error to choose the code. A class missing
// a hook, or with a hook of the wrong signature, fails to compile with a
// message naming the hook.
#pragma once

#include <hub/plugin_api.h>

#include <algorithm>
#include <concepts>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <new>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hub {

inline std::string_view view(hub_str s) noexcept {
  return s.len ? std::string_view(s.ptr, s.len) : std::string_view();
}
inline hub_str str(std::string_view s) noexcept {
  return hub_str{s.data(), s.size()};
}

// Throw to fail a call with a chosen status code.
class Error : public std::runtime_error {
 public:
  Error(hub_status code, const std::string& message) : std::runtime_error(message), code_(code) {}
  hub_status code() const noexcept { return code_; }

 private:
  hub_status code_;
};

// The hub's services: logging, metrics, clocks. Safe from any thread.
class Host {
 public:
  explicit Host(const hub_host* host) : host_(host) {}
  void log(hub_log_level level, std::string_view message) const { host_->log(host_->host_ctx, level, str(message)); }
  void debug(std::string_view message) const { log(HUB_LOG_DEBUG, message); }
  void info(std::string_view message) const { log(HUB_LOG_INFO, message); }
  void warn(std::string_view message) const { log(HUB_LOG_WARN, message); }
  void error(std::string_view message) const { log(HUB_LOG_ERROR, message); }
  void counter_add(std::string_view name, double delta = 1) const { host_->counter_add(host_->host_ctx, str(name), delta); }
  void gauge_set(std::string_view name, double value) const { host_->gauge_set(host_->host_ctx, str(name), value); }
  void observe(std::string_view name, double value) const { host_->histogram_observe(host_->host_ctx, str(name), value); }
  int64_t now_unix_us() const { return host_->now_unix_us(host_->host_ctx); }
  int64_t monotonic_us() const { return host_->monotonic_us(host_->host_ctx); }
  const hub_host* raw() const { return host_; }

 private:
  const hub_host* host_;
};

// An implementation's config section. Borrowed: valid during the constructor
// only, so copy what you keep. Typed getters throw hub::Error naming the key.
// Every key a getter reads is declared to the hub (ABI 1.1), which refuses the
// section's other keys as unknown: read each key with a getter, or with json().
class Config {
 public:
  explicit Config(const hub_config* config) : config_(config) {}
  std::string_view id() const { return view(config_->id); }
  // The section whole. The SDK cannot tell which of its keys you understand, so
  // reading it this way declares them all known: typos in it are not refused.
  std::string_view json() const {
    for (size_t i = 0; i < config_->entry_count; ++i) declare(view(config_->entries[i].key));
    return view(config_->json);
  }

  const hub_str* find(std::string_view key) const {
    declare(key);
    for (size_t i = 0; i < config_->entry_count; ++i)
      if (view(config_->entries[i].key) == key) return &config_->entries[i].value;
    return nullptr;
  }
  bool has(std::string_view key) const { return find(key) != nullptr; }

  std::string string(std::string_view key, std::string_view fallback) const {
    const hub_str* value = find(key);
    return std::string(value ? view(*value) : fallback);
  }
  std::string required_string(std::string_view key) const {
    const hub_str* value = find(key);
    if (!value || value->len == 0) throw Error(HUB_INVALID_ARGUMENT, "config key '" + std::string(key) + "' is required");
    return std::string(view(*value));
  }
  double number(std::string_view key, double fallback) const {
    return parsed<double>(key, fallback, "a number", [](const char* text, char** end) { return std::strtod(text, end); });
  }
  int64_t integer(std::string_view key, int64_t fallback) const {
    return parsed<int64_t>(key, fallback, "an integer", [](const char* text, char** end) { return std::strtoll(text, end, 10); });
  }
  bool boolean(std::string_view key, bool fallback) const {
    const hub_str* value = find(key);
    if (!value) return fallback;
    std::string_view text = view(*value);
    if (text == "true") return true;
    if (text == "false") return false;
    throw Error(HUB_INVALID_ARGUMENT, "config key '" + std::string(key) + "': expected true or false, got '" + std::string(text) + "'");
  }

  // Tells the hub this plugin declares the keys it reads; done by the SDK before the constructor.
  static void declare_all_keys(const hub_config* config) noexcept { declare(config, str(std::string_view())); }

 private:
  static void declare(const hub_config* config, hub_str key) noexcept {
    if (HUB_HAS_MEMBER(config, hub_config, declare_key) && config->declare_key) config->declare_key(config->keys_ctx, key);
  }
  void declare(std::string_view key) const { declare(config_, str(key)); }

  // `parse` is a strtod-like function; the whole value must be consumed.
  template <class T, class Parse>
  T parsed(std::string_view key, T fallback, const char* expected, Parse parse) const {
    const hub_str* value = find(key);
    if (!value) return fallback;
    const std::string text(view(*value));
    char* end = nullptr;
    const T result = static_cast<T>(parse(text.c_str(), &end));
    if (text.empty() || *end != '\0')
      throw Error(HUB_INVALID_ARGUMENT, "config key '" + std::string(key) + "': expected " + expected + ", got '" + text + "'");
    return result;
  }

  const hub_config* config_;
};

// What every constructor receives.
struct Context {
  Host host;
  Config config;
};

// ------------------------------------------------------------ load balancers

// The candidates' live figures during one pick (hub_lb_live). Without a source (a hub older than
// ABI 1.2, or a pick outside the hub) every figure reads as unknown.
class Live {
 public:
  explicit Live(const hub_lb_live* live = nullptr) : live_(live && HUB_HAS_MEMBER(live, hub_lb_live, read) ? live : nullptr) {}
  hub_lb_load operator[](size_t index) const noexcept {
    hub_lb_load load{sizeof(hub_lb_load), 0, -1, -1};
    if (live_ && live_->read) live_->read(live_->live_ctx, index, &load);
    return load;
  }
  bool known() const noexcept { return live_ != nullptr; }

 private:
  const hub_lb_live* live_;
};

// ------------------------------------------------------------ health probes

struct Deadline {
  int64_t monotonic_us;  // on Host::monotonic_us()'s clock
};

struct ProbeTarget {
  explicit ProbeTarget(const hub_probe_target* target) : raw(target) {}
  std::string_view name() const { return view(raw->name); }
  std::string_view host() const { return view(raw->host); }
  uint32_t port() const { return raw->port; }
  std::string_view endpoint() const { return view(raw->endpoint); }
  std::optional<std::string_view> attribute(std::string_view key) const {
    for (size_t i = 0; i < raw->attribute_count; ++i)
      if (view(raw->attributes[i].key) == key) return view(raw->attributes[i].value);
    return std::nullopt;
  }
  const hub_probe_target* raw;
};

struct ProbeResult {
  hub_health status = HUB_HEALTH_UNKNOWN;
  int64_t latency_us = 0;
  std::string message;

  static ProbeResult healthy(std::string message = {}, int64_t latency_us = 0) {
    return {HUB_HEALTH_HEALTHY, latency_us, std::move(message)};
  }
  static ProbeResult degraded(std::string message, int64_t latency_us = 0) { return {HUB_HEALTH_DEGRADED, latency_us, std::move(message)}; }
  static ProbeResult down(std::string message, int64_t latency_us = 0) { return {HUB_HEALTH_DOWN, latency_us, std::move(message)}; }
};

// Reports one asynchronous check; copyable, callable once from any thread.
class ProbeReporter {
 public:
  explicit ProbeReporter(const hub_probe_reporter* reporter) : reporter_(*reporter) {}
  void report(const ProbeResult& result) const noexcept {
    hub_probe_result raw{sizeof(hub_probe_result), result.status, result.latency_us, str(result.message)};
    reporter_.report(reporter_.reporter_ctx, &raw);
  }

 private:
  hub_probe_reporter reporter_;
};

// --------------------------------------------------------------- discovery

struct Instance {
  std::string service, instance_id, host;
  uint32_t port = 0;
  std::string protocol = "http", health_endpoint, version;
  uint32_t weight = 0;
  std::vector<std::string> tags;
  std::string metadata_json;
};

// Where a discovery source delivers instances; valid between start() and stop().
class DiscoverySink {
 public:
  explicit DiscoverySink(const hub_discovery_sink* sink) : sink_(*sink) {}
  void snapshot(const std::vector<Instance>& instances) const {
    std::vector<std::vector<hub_str>> tags(instances.size());
    std::vector<hub_instance_record> records;
    records.reserve(instances.size());
    for (size_t i = 0; i < instances.size(); ++i) records.push_back(record(instances[i], tags[i]));
    sink_.snapshot(sink_.sink_ctx, records.data(), records.size());
  }
  void upsert(const Instance& instance) const {
    std::vector<hub_str> tags;
    hub_instance_record raw = record(instance, tags);
    sink_.upsert(sink_.sink_ctx, &raw);
  }
  void remove(std::string_view service, std::string_view instance_id) const {
    sink_.remove(sink_.sink_ctx, str(service), str(instance_id));
  }

 private:
  static hub_instance_record record(const Instance& in, std::vector<hub_str>& tags) {
    for (const std::string& tag : in.tags) tags.push_back(str(tag));
    return hub_instance_record{
        sizeof(hub_instance_record), str(in.service), str(in.instance_id), str(in.host), in.port,     str(in.protocol),
        str(in.health_endpoint),     str(in.version), in.weight,           tags.data(),  tags.size(), str(in.metadata_json)};
  }
  hub_discovery_sink sink_;
};

// ---------------------------------------------------------- deployment steps

struct RolloutAction {
  hub_rollout_action_type type = HUB_ROLLOUT_WAIT;
  std::string instance_id;
  int64_t wait_us = 0;
  std::string reason;
  uint32_t weight_percent = 0;  // SET_WEIGHT
};

// One instance of the rolled-out service, as the hub sees it now.
struct RolloutInstance {
  std::string_view id, version;
  hub_health health = HUB_HEALTH_UNKNOWN;
  bool draining = false;
  int64_t healthy_for_us = 0;
  int64_t draining_for_us = 0;
  bool directed = false;  // a directive it was sent is not yet carried out
};

// A rollout as a coordinator reads it (hub_rollout_state); members a hub older than 1.2 does not
// send read as their defaults. params() reads the request's parameters like a config section;
// refuse_unknown_params() then refuses those no getter read, naming them.
class Rollout {
 public:
  explicit Rollout(const hub_rollout_state& state)
      : state_(state),
        params_config_{sizeof(hub_config),
                       state.rollout_id,
                       state.params_json,
                       has(&hub_rollout_state::params) ? state.params : nullptr,
                       has(&hub_rollout_state::param_count) ? state.param_count : 0,
                       this,
                       &Rollout::declare},
        params_(&params_config_) {}
  Rollout(const Rollout&) = delete;
  Rollout& operator=(const Rollout&) = delete;

  const hub_rollout_state& raw() const { return state_; }
  std::string_view id() const { return view(state_.rollout_id); }
  std::string_view service() const { return view(state_.service); }
  std::string_view from_version() const { return view(state_.from_version); }
  std::string_view to_version() const { return view(state_.to_version); }
  // The version every instance is headed for: to_version, or from_version when rolling back.
  std::string_view target_version() const { return rolling_back() ? from_version() : to_version(); }
  uint32_t batch_size() const { return state_.batch_size ? state_.batch_size : 1; }
  bool paused() const { return state_.paused != 0; }
  int64_t now_unix_us() const { return state_.now_unix_us; }
  bool rolling_back() const { return member(&hub_rollout_state::rolling_back, 0) != 0; }
  bool promote_requested() const { return member(&hub_rollout_state::promote_requested, 0) != 0; }
  uint32_t step() const { return member(&hub_rollout_state::step, 0u); }
  int64_t step_age_us() const { return state_.now_unix_us - member(&hub_rollout_state::step_started_unix_us, state_.started_unix_us); }
  int32_t weight_percent() const { return member(&hub_rollout_state::weight_percent, -1); }
  hub_rollout_gate gate() const { return member(&hub_rollout_state::gate, HUB_GATE_PENDING); }
  std::string_view gate_reason() const { return has(&hub_rollout_state::gate_reason) ? view(state_.gate_reason) : std::string_view(); }

  std::vector<RolloutInstance> instances() const {
    std::vector<RolloutInstance> out;
    const auto* at = reinterpret_cast<const unsigned char*>(state_.instances);
    for (size_t i = 0; i < state_.instance_count; ++i) {
      // Walk by the hub's struct_size, which may be larger than this header's.
      const auto& in = *reinterpret_cast<const hub_rollout_instance*>(at);
      RolloutInstance instance{view(in.instance_id), view(in.version), in.health, in.draining != 0};
      if (HUB_HAS_MEMBER(&in, hub_rollout_instance, directed)) {
        instance.healthy_for_us = in.healthy_for_us;
        instance.draining_for_us = in.draining_for_us;
        instance.directed = in.directed != 0;
      }
      out.push_back(instance);
      at += in.struct_size;
    }
    return out;
  }

  const Config& params() const { return params_; }
  void refuse_unknown_params() const {
    std::string unknown;
    for (size_t i = 0; i < params_config_.entry_count; ++i) {
      const std::string key(view(params_config_.entries[i].key));
      bool known = false;
      for (const std::string& read : read_)
        known = known || key == read || (key.size() > read.size() && key.compare(0, read.size(), read) == 0 && key[read.size()] == '.');
      if (!known) unknown += (unknown.empty() ? "" : ", ") + key;
    }
    if (!unknown.empty()) throw Error(HUB_INVALID_ARGUMENT, "unknown parameter(s) for this strategy: " + unknown);
  }

 private:
  template <class M>
  bool has(M hub_rollout_state::*member) const {
    return state_.struct_size >=
           static_cast<size_t>(reinterpret_cast<const char*>(&(state_.*member)) - reinterpret_cast<const char*>(&state_)) + sizeof(M);
  }
  template <class M>
  M member(M hub_rollout_state::*member, M fallback) const {
    return has(member) ? state_.*member : fallback;
  }
  static void declare(void* context, hub_str key) {
    if (key.len) static_cast<Rollout*>(context)->read_.emplace_back(view(key));
  }

  const hub_rollout_state& state_;
  hub_config params_config_;
  Config params_;
  std::vector<std::string> read_;  // the params' keys a getter read
};

namespace sdk {

// The message get_last_error returns: one per thread, as the ABI specifies.
inline std::string& last_error() {
  thread_local std::string message;
  return message;
}

template <class F>
hub_status guard(F&& call) noexcept {
  try {
    call();
    return HUB_OK;
  } catch (const Error& e) {
    try {
      last_error() = e.what();
    } catch (...) {
    }
    return e.code() == HUB_OK ? HUB_UNKNOWN : e.code();
  } catch (const std::bad_alloc&) {
    return HUB_RESOURCE_EXHAUSTED;
  } catch (const std::exception& e) {
    try {
      last_error() = e.what();
    } catch (...) {
    }
    return HUB_INTERNAL;
  } catch (...) {
    try {
      last_error() = "unknown exception";
    } catch (...) {
    }
    return HUB_INTERNAL;
  }
}

inline const char* get_last_error(void*) noexcept {
  return last_error().c_str();
}

template <class T>
struct Lifecycle {
  static_assert(std::is_constructible_v<T, const Context&>, "a plugin class needs a constructor taking (const hub::Context&)");
  static hub_status create(const hub_host* host, const hub_config* config, void** out) noexcept {
    Config::declare_all_keys(config);
    return guard([&] { *out = new T(Context{Host(host), Config(config)}); });
  }
  static void destroy(void* handle) noexcept {
    try {
      delete static_cast<T*>(handle);
    } catch (...) {
    }
  }
  static T& self(void* handle) { return *static_cast<T*>(handle); }
};

// --- health_probe
template <class T>
concept SyncProbe = requires(T& probe, const ProbeTarget& target, Deadline deadline) {
  { probe.check(target, deadline) } -> std::same_as<ProbeResult>;
};
template <class T>
concept AsyncProbe = requires(T& probe, const ProbeTarget& target, Deadline deadline, ProbeReporter reporter) {
  { probe.check_async(target, deadline, reporter) } -> std::same_as<void>;
};

template <class T>
struct HealthProbeAdapter : Lifecycle<T> {
  static_assert(SyncProbe<T> || AsyncProbe<T>,
                "a health probe needs 'hub::ProbeResult check(const hub::ProbeTarget&, hub::Deadline)' or "
                "'void check_async(const hub::ProbeTarget&, hub::Deadline, hub::ProbeReporter)'");
  static hub_status check(void* handle, uint64_t, const hub_probe_target* target, int64_t deadline,
                          const hub_probe_reporter* reporter) noexcept {
    ProbeReporter report(reporter);
    if constexpr (AsyncProbe<T>) {
      return guard([&] { Lifecycle<T>::self(handle).check_async(ProbeTarget(target), Deadline{deadline}, report); });
    } else {
      // A synchronous check that throws is still a result: the target is down.
      std::optional<ProbeResult> result;
      hub_status status = guard([&] { result = Lifecycle<T>::self(handle).check(ProbeTarget(target), Deadline{deadline}); });
      report.report(status == HUB_OK ? *result : ProbeResult::down("probe failed: " + last_error()));
      return HUB_OK;
    }
  }
  static constexpr hub_health_probe_vtable vtable{
      sizeof(hub_health_probe_vtable), &Lifecycle<T>::create, &Lifecycle<T>::destroy, &get_last_error, &check, nullptr};
  static constexpr hub_kind kind = HUB_KIND_HEALTH_PROBE;
};

// --- discovery
template <class T>
concept DiscoverySource = requires(T& source, DiscoverySink sink) {
  { source.start(sink) } -> std::same_as<void>;
  { source.stop() } -> std::same_as<void>;
};
template <class T>
concept LivenessPolicy = requires(T& policy, const hub_liveness_input& input) {
  { policy.assess_liveness(input) } -> std::same_as<hub_liveness_action>;
};

template <class T>
struct DiscoveryAdapter : Lifecycle<T> {
  static_assert(DiscoverySource<T> || LivenessPolicy<T>,
                "a discovery plugin needs 'void start(hub::DiscoverySink)' and 'void stop()', or "
                "'hub_liveness_action assess_liveness(const hub_liveness_input&)', or both");
  static hub_status start(void* handle, const hub_discovery_sink* sink) noexcept {
    if constexpr (DiscoverySource<T>) return guard([&] { Lifecycle<T>::self(handle).start(DiscoverySink(sink)); });
    return HUB_OK;
  }
  static void stop(void* handle) noexcept {
    if constexpr (DiscoverySource<T>) guard([&] { Lifecycle<T>::self(handle).stop(); });
  }
  static hub_liveness_action assess(void* handle, const hub_liveness_input* input) noexcept {
    hub_liveness_action action = HUB_LIVENESS_KEEP;
    // Only a policy class has the hook; for a pure source this function is never put in the vtable.
    if constexpr (LivenessPolicy<T>) guard([&] { action = Lifecycle<T>::self(handle).assess_liveness(*input); });
    return action;
  }
  static constexpr hub_discovery_vtable vtable{
      sizeof(hub_discovery_vtable),         &Lifecycle<T>::create, &Lifecycle<T>::destroy, &get_last_error, &start, &stop,
      LivenessPolicy<T> ? &assess : nullptr};
  static constexpr hub_kind kind = HUB_KIND_DISCOVERY;
};

// --- load_balancer
// A balancer picks with pick(key, hash), or, when it weighs live load, with pick(key, hash, live).
template <class T>
concept LiveLoadBalancer = requires(T& lb, std::string_view key, uint64_t hash, const Live& live) {
  { lb.pick(key, hash, live) } -> std::same_as<std::optional<size_t>>;
};
template <class T>
concept LoadBalancer = requires(T& lb, std::span<const hub_lb_candidate> candidates, std::string_view key, uint64_t hash) {
  { lb.update(candidates) } -> std::same_as<void>;
}
&&(LiveLoadBalancer<T> || requires(T & lb, std::string_view key, uint64_t hash) {
  { lb.pick(key, hash) } -> std::same_as<std::optional<size_t>>;
});

template <class T>
struct LoadBalancerAdapter : Lifecycle<T> {
  static_assert(LoadBalancer<T>,
                "a load balancer needs 'void update(std::span<const hub_lb_candidate>)' and "
                "'std::optional<size_t> pick(std::string_view key, uint64_t key_hash)'");
  static hub_status update(void* handle, const hub_lb_candidate* candidates, size_t count) noexcept {
    return guard([&] { Lifecycle<T>::self(handle).update(std::span<const hub_lb_candidate>(candidates, count)); });
  }
  static hub_status pick(void* handle, hub_str key, uint64_t hash, size_t* out) noexcept {
    if constexpr (LiveLoadBalancer<T>)
      return pick_live(handle, key, hash, nullptr, out);
    else
      return chosen(out, [&] { return Lifecycle<T>::self(handle).pick(view(key), hash); });
  }
  static hub_status pick_live(void* handle, hub_str key, uint64_t hash, const hub_lb_live* live, size_t* out) noexcept {
    if constexpr (LiveLoadBalancer<T>)
      return chosen(out, [&] { return Lifecycle<T>::self(handle).pick(view(key), hash, Live(live)); });
    else
      return pick(handle, key, hash, out);
  }
  template <class Pick>
  static hub_status chosen(size_t* out, Pick&& pick) noexcept {
    std::optional<size_t> index;
    hub_status status = guard([&] { index = pick(); });
    if (status != HUB_OK) return status;
    if (!index) return HUB_UNAVAILABLE;
    *out = *index;
    return HUB_OK;
  }
  static constexpr hub_load_balancer_vtable vtable{
      sizeof(hub_load_balancer_vtable),          &Lifecycle<T>::create, &Lifecycle<T>::destroy, &get_last_error, &update, &pick,
      LiveLoadBalancer<T> ? &pick_live : nullptr};
  static constexpr hub_kind kind = HUB_KIND_LOAD_BALANCER;
};

// --- circuit_breaker
template <class T>
concept CircuitBreaker = requires(T& cb, int64_t now, hub_call_outcome outcome, int64_t duration) {
  { cb.acquire(now) } -> std::same_as<hub_circuit_decision>;
  { cb.record(outcome, duration, now) } -> std::same_as<void>;
  { cb.state(now) } -> std::same_as<hub_circuit_state>;
};

template <class T>
struct CircuitBreakerAdapter : Lifecycle<T> {
  static_assert(CircuitBreaker<T>,
                "a circuit breaker needs 'hub_circuit_decision acquire(int64_t now_us)', "
                "'void record(hub_call_outcome, int64_t duration_us, int64_t now_us)' and "
                "'hub_circuit_state state(int64_t now_us)'");
  static hub_status acquire(void* handle, int64_t now, hub_circuit_decision* decision) noexcept {
    return guard([&] {
      hub_circuit_decision made = Lifecycle<T>::self(handle).acquire(now);
      if (HUB_HAS_MEMBER(decision, hub_circuit_decision, state)) decision->state = made.state;
      if (HUB_HAS_MEMBER(decision, hub_circuit_decision, permitted)) decision->permitted = made.permitted;
      if (HUB_HAS_MEMBER(decision, hub_circuit_decision, retry_after_us)) decision->retry_after_us = made.retry_after_us;
    });
  }
  static void record(void* handle, hub_call_outcome outcome, int64_t duration, int64_t now) noexcept {
    guard([&] { Lifecycle<T>::self(handle).record(outcome, duration, now); });
  }
  static hub_circuit_state state(void* handle, int64_t now) noexcept {
    hub_circuit_state current = HUB_CIRCUIT_OPEN;  // a failing breaker fails closed to callers
    guard([&] { current = Lifecycle<T>::self(handle).state(now); });
    return current;
  }
  static hub_status describe(void* handle, int64_t now, hub_circuit_figures* figures) noexcept {
    if constexpr (requires(T & cb) {
                    { cb.describe(now) } -> std::same_as<hub_circuit_figures>;
                  }) {
      return guard([&] {
        const hub_circuit_figures made = Lifecycle<T>::self(handle).describe(now);
        const uint32_t size = std::min<uint32_t>(figures->struct_size, sizeof made);
        std::memcpy(reinterpret_cast<char*>(figures) + sizeof(uint32_t), reinterpret_cast<const char*>(&made) + sizeof(uint32_t),
                    size > sizeof(uint32_t) ? size - sizeof(uint32_t) : 0);
      });
    } else {
      return HUB_UNIMPLEMENTED;
    }
  }
  static constexpr bool kRestores = requires(T & cb, hub_circuit_state state, int64_t at) { cb.restore(state, at, at); };
  static void restore(void* handle, hub_circuit_state state, int64_t opened_at, int64_t now) noexcept {
    if constexpr (kRestores) guard([&] { Lifecycle<T>::self(handle).restore(state, opened_at, now); });
  }
  static constexpr hub_circuit_breaker_vtable vtable{sizeof(hub_circuit_breaker_vtable),
                                                     &Lifecycle<T>::create,
                                                     &Lifecycle<T>::destroy,
                                                     &get_last_error,
                                                     &acquire,
                                                     &record,
                                                     &state,
                                                     &describe,
                                                     kRestores ? &restore : nullptr};
  static constexpr hub_kind kind = HUB_KIND_CIRCUIT_BREAKER;
};

// --- deployment_coordinator
template <class T>
concept DeploymentCoordinator = requires(T& coordinator, const Rollout& rollout) {
  { coordinator.next_step(rollout) } -> std::same_as<std::vector<RolloutAction>>;
};

// Keeps the last answer alive until the next call on the handle, as the ABI asks.
template <class T>
struct CoordinatorHandle {
  explicit CoordinatorHandle(const Context& context) : coordinator(context) {}
  T coordinator;
  std::vector<RolloutAction> actions;
  std::vector<hub_rollout_action> raw;
};

template <class T>
struct DeploymentCoordinatorAdapter {
  static_assert(DeploymentCoordinator<T>,
                "a deployment coordinator needs 'std::vector<hub::RolloutAction> next_step(const hub::Rollout&)'");
  using Handle = CoordinatorHandle<T>;
  static hub_status next_step(void* handle, const hub_rollout_state* state, const hub_rollout_action** out, size_t* count) noexcept {
    Handle& self = Lifecycle<Handle>::self(handle);
    return guard([&] {
      const Rollout rollout(*state);
      self.actions = self.coordinator.next_step(rollout);
      self.raw.clear();
      for (const RolloutAction& a : self.actions)
        self.raw.push_back(
            hub_rollout_action{sizeof(hub_rollout_action), a.type, str(a.instance_id), a.wait_us, str(a.reason), a.weight_percent});
      *out = self.raw.data();
      *count = self.raw.size();
    });
  }
  static constexpr hub_deployment_coordinator_vtable vtable{sizeof(hub_deployment_coordinator_vtable), &Lifecycle<Handle>::create,
                                                            &Lifecycle<Handle>::destroy, &get_last_error, &next_step};
  static constexpr hub_kind kind = HUB_KIND_DEPLOYMENT_COORDINATOR;
};

template <class Adapter>
constexpr hub_implementation implementation(const char* name) {
  return hub_implementation{sizeof(hub_implementation), Adapter::kind, name, &Adapter::vtable};
}

}  // namespace sdk
}  // namespace hub

#define HUB_HEALTH_PROBE(name, Class) ::hub::sdk::implementation<::hub::sdk::HealthProbeAdapter<Class>>(name)
#define HUB_DISCOVERY(name, Class) ::hub::sdk::implementation<::hub::sdk::DiscoveryAdapter<Class>>(name)
#define HUB_LOAD_BALANCER(name, Class) ::hub::sdk::implementation<::hub::sdk::LoadBalancerAdapter<Class>>(name)
#define HUB_CIRCUIT_BREAKER(name, Class) ::hub::sdk::implementation<::hub::sdk::CircuitBreakerAdapter<Class>>(name)
#define HUB_DEPLOYMENT_COORDINATOR(name, Class) ::hub::sdk::implementation<::hub::sdk::DeploymentCoordinatorAdapter<Class>>(name)

// Defines `const hub_plugin_descriptor* function(uint32_t host_abi_version)`.
#define HUB_PLUGIN_DESCRIPTOR(function, plugin_name, plugin_version, description, ...)                   \
  const hub_plugin_descriptor* function(uint32_t) {                                                      \
    static const hub_implementation implementations[] = {__VA_ARGS__};                                   \
    static const hub_plugin_descriptor descriptor{sizeof(hub_plugin_descriptor),                         \
                                                  HUB_PLUGIN_ABI_VERSION,                                \
                                                  plugin_name,                                           \
                                                  plugin_version,                                        \
                                                  description,                                           \
                                                  implementations,                                       \
                                                  sizeof(implementations) / sizeof(implementations[0])}; \
    return &descriptor;                                                                                  \
  }

#ifdef HUB_PLUGIN_STATIC
#define HUB_PLUGIN_EXPORT_ENTRY(function)
#else
#define HUB_PLUGIN_EXPORT_ENTRY(function)                                                                 \
  extern "C" HUB_PLUGIN_EXPORT const hub_plugin_descriptor* hub_plugin_entry(uint32_t host_abi_version) { \
    return function(host_abi_version);                                                                    \
  }
#endif

// The one macro a plugin needs: the descriptor function and the exported entry.
#define HUB_PLUGIN(function, plugin_name, plugin_version, description, ...)              \
  HUB_PLUGIN_DESCRIPTOR(function, plugin_name, plugin_version, description, __VA_ARGS__) \
  HUB_PLUGIN_EXPORT_ENTRY(function)
