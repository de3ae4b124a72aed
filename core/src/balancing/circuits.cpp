#include "circuits.hpp"

#include "basics/json_text.hpp"

#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace hub {

namespace {

// Past this many circuits, those of services the registry no longer has are dropped.
constexpr size_t kSweepAbove = 4096;

hub_call_outcome outcome_of(CallResult result) {
  switch (result) {
    case CallResult::success:
      return HUB_CALL_SUCCESS;
    case CallResult::failure:
      return HUB_CALL_FAILURE;
    case CallResult::timeout:
      return HUB_CALL_TIMEOUT;
    case CallResult::rejected:
      return HUB_CALL_REJECTED;
  }
  return HUB_CALL_FAILURE;
}

std::string topic_of(const std::string& state) {
  if (state == "HALF_OPEN") return "circuit.half_open";
  if (state == "FORCED_OPEN") return "circuit.forced_open";
  std::string topic = "circuit.";
  for (char c : state) topic += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return topic;  // circuit.open, circuit.closed, circuit.disabled
}

std::string rate_text(double rate) {
  if (rate < 0) return "null";
  char text[32];
  std::snprintf(text, sizeof text, "%.1f", rate);
  return text;
}

}  // namespace

struct Circuits::Circuit {
  std::mutex mutex;  // the ABI's promise: one call at a time on a handle
  std::unique_ptr<PluginInstance> handle;
  Override override = Override::none;
  int64_t forced_until_us = 0;        // monotonic: a FORCED_OPEN that ends by itself (an error spike's cool-down)
  std::string last_state = "CLOSED";  // as last published
};

namespace {

// How a cool-down's FORCED_OPEN is stored (CircuitRecord::set_by), so a restart keeps its end.
constexpr std::string_view kSpikeUntil = "error spike until ";

}  // namespace

Circuits::Circuits(MakeHandle make_handle, Knows knows, EventBus& events, Metrics& metrics, std::shared_ptr<const Clock> clock)
    : make_handle_(std::move(make_handle)), knows_(std::move(knows)), events_(events), metrics_(metrics), clock_(std::move(clock)) {
  metrics_.describe(
      "hub_circuit_state", Metrics::Type::gauge,
      "1 for the state each service's circuit is in (CLOSED, OPEN, HALF_OPEN, DISABLED, FORCED_OPEN), 0 for the others it was in.");
}

Circuits::~Circuits() = default;

const char* Circuits::name_of(hub_circuit_state state) {
  return state == HUB_CIRCUIT_OPEN ? "OPEN" : state == HUB_CIRCUIT_HALF_OPEN ? "HALF_OPEN" : "CLOSED";
}

std::shared_ptr<Circuits::Circuit> Circuits::circuit_of(const std::string& service, bool create) {
  {
    std::shared_lock lock(mutex_);
    if (auto found = circuits_.find(service); found != circuits_.end()) return found->second;
  }
  std::unique_lock lock(mutex_);
  if (auto found = circuits_.find(service); found != circuits_.end()) return found->second;
  if (!create || !knows_(service)) return nullptr;
  if (circuits_.size() >= kSweepAbove)
    for (auto circuit = circuits_.begin(); circuit != circuits_.end();)
      circuit = knows_(circuit->first) ? std::next(circuit) : circuits_.erase(circuit);
  auto circuit = std::make_shared<Circuit>();
  circuit->handle = make_handle_(service);  // throws PluginError: the caller answers 500 naming it
  apply_restored(service, *circuit);
  circuits_.emplace(service, circuit);
  return circuit;
}

void Circuits::apply_restored(const std::string& service, Circuit& circuit) {
  CircuitRecord record;
  {
    std::lock_guard lock(saving_mutex_);
    auto found = restored_.find(service);
    if (found == restored_.end()) return;
    record = std::move(found->second);
    restored_.erase(found);
  }
  if (record.state == "DISABLED") circuit.override = Override::disabled;
  if (record.state == "FORCED_OPEN") circuit.override = Override::forced_open;
  if (record.state == "FORCED_OPEN" && record.set_by.starts_with(kSpikeUntil)) {
    const int64_t until_unix_us = std::strtoll(record.set_by.c_str() + kSpikeUntil.size(), nullptr, 10);
    const int64_t left_us = until_unix_us - clock_->now_unix_us();
    if (left_us <= 0)
      circuit.override = Override::none;  // the cool-down ended while the hub was down
    else
      circuit.forced_until_us = clock_->monotonic_us() + left_us;
  }
  const auto& vtable = circuit.handle->vtable<hub_circuit_breaker_vtable>();
  if ((record.state == "OPEN" || record.state == "HALF_OPEN") && HUB_HAS_MEMBER(&vtable, hub_circuit_breaker_vtable, restore) &&
      vtable.restore) {
    const int64_t now_us = clock_->monotonic_us();
    const int64_t opened_at_us = now_us - (clock_->now_unix_us() - record.opened_at_unix_us);
    vtable.restore(circuit.handle->handle(), record.state == "OPEN" ? HUB_CIRCUIT_OPEN : HUB_CIRCUIT_HALF_OPEN, opened_at_us, now_us);
  }
  circuit.last_state = state_of(circuit, clock_->monotonic_us());
}

void Circuits::restore(const std::vector<CircuitRecord>& records) {
  {
    std::lock_guard lock(saving_mutex_);
    for (const CircuitRecord& record : records) restored_[record.service] = record;
  }
  for (const CircuitRecord& record : records) {
    try {
      circuit_of(record.service, true);  // the registry forgot the service: its row goes at the next save
    } catch (const std::exception&) {
    }
    std::lock_guard lock(saving_mutex_);
    if (restored_.erase(record.service)) unsaved_[record.service] = {record.service, "CLOSED", 0, clock_->now_unix_us(), ""};
  }
}

void Circuits::save(CircuitStore& store) {
  std::map<std::string, CircuitRecord> changes;
  {
    std::lock_guard lock(saving_mutex_);
    changes.swap(unsaved_);
  }
  if (changes.empty()) return;
  std::vector<CircuitRecord> records;
  for (auto& [service, record] : changes) records.push_back(record);
  try {
    store.save_circuits(records);
  } catch (...) {
    std::lock_guard lock(saving_mutex_);
    for (auto& [service, record] : changes) unsaved_.try_emplace(service, std::move(record));  // newer changes win
    throw;
  }
}

std::string Circuits::state_of(Circuit& circuit, int64_t now_us) {
  if (circuit.override == Override::disabled) return "DISABLED";
  if (circuit.override == Override::forced_open) return "FORCED_OPEN";
  const auto& vtable = circuit.handle->vtable<hub_circuit_breaker_vtable>();
  // A breaker that cannot say without a permit keeps its last known state.
  if (!HUB_HAS_MEMBER(&vtable, hub_circuit_breaker_vtable, state) || !vtable.state) return circuit.last_state;
  return name_of(vtable.state(circuit.handle->handle(), now_us));
}

Circuits::Permit Circuits::acquire(const std::string& service) {
  std::shared_ptr<Circuit> circuit = circuit_of(service, true);
  if (!circuit) return {true, "CLOSED", 0};
  std::lock_guard lock(circuit->mutex);
  const int64_t now_us = clock_->monotonic_us();
  if (circuit->override == Override::disabled) return {true, "DISABLED", 0};
  if (circuit->override == Override::forced_open) return {false, "FORCED_OPEN", 0};
  const std::string before = circuit->last_state;
  hub_circuit_decision decision{sizeof decision, HUB_CIRCUIT_OPEN, 0, 0};
  const auto& vtable = circuit->handle->vtable<hub_circuit_breaker_vtable>();
  // A breaker that fails is taken as open: callers go to their fallback rather than to a service
  // nobody can vouch for.
  if (vtable.acquire(circuit->handle->handle(), now_us, &decision) != HUB_OK) return {false, "OPEN", 0};
  published(service, *circuit, before, now_us);
  return {decision.permitted != 0, name_of(decision.state), std::max<int64_t>(0, decision.retry_after_us)};
}

void Circuits::record(const std::string& service, CallResult result, int64_t duration_us, bool trial) {
  std::shared_ptr<Circuit> circuit = circuit_of(service, true);
  if (!circuit) return;
  std::lock_guard lock(circuit->mutex);
  if (circuit->override != Override::none) return;
  const int64_t now_us = clock_->monotonic_us();
  const std::string before = state_of(*circuit, now_us);
  if (before == "HALF_OPEN" && !trial) return;  // only the trial calls it permitted decide
  circuit->handle->vtable<hub_circuit_breaker_vtable>().record(circuit->handle->handle(), outcome_of(result), duration_us, now_us);
  published(service, *circuit, circuit->last_state, now_us);
}

std::optional<Circuits::View> Circuits::view(const std::string& service) {
  std::shared_ptr<Circuit> circuit = circuit_of(service, true);
  if (!circuit) return std::nullopt;
  std::lock_guard lock(circuit->mutex);
  const int64_t now_us = clock_->monotonic_us();
  published(service, *circuit, circuit->last_state, now_us);
  View view{service, circuit->last_state, {}, false};
  view.figures.struct_size = sizeof view.figures;
  const auto& vtable = circuit->handle->vtable<hub_circuit_breaker_vtable>();
  if (HUB_HAS_MEMBER(&vtable, hub_circuit_breaker_vtable, describe) && vtable.describe)
    view.described = vtable.describe(circuit->handle->handle(), now_us, &view.figures) == HUB_OK;
  return view;
}

std::vector<Circuits::View> Circuits::views() {
  std::vector<std::string> services;
  {
    std::shared_lock lock(mutex_);
    for (const auto& [service, circuit] : circuits_) services.push_back(service);
  }
  std::vector<View> all;
  for (const std::string& service : services)
    if (auto one = view(service)) all.push_back(std::move(*one));
  return all;
}

void Circuits::tick() {
  std::vector<std::pair<std::string, std::shared_ptr<Circuit>>> all;
  {
    std::shared_lock lock(mutex_);
    all.assign(circuits_.begin(), circuits_.end());
  }
  for (auto& [service, circuit] : all) {
    std::lock_guard lock(circuit->mutex);
    const int64_t now_us = clock_->monotonic_us();
    if (circuit->forced_until_us && now_us >= circuit->forced_until_us) {
      circuit->forced_until_us = 0;
      circuit->override = Override::none;
      published(service, *circuit, circuit->last_state, now_us, "the error spike's cool-down, which ended");
      continue;
    }
    published(service, *circuit, circuit->last_state, now_us);
  }
}

// The service's circuit, made if it has none yet; a Status naming why there is none.
Status Circuits::made_for(const std::string& service, std::shared_ptr<Circuit>& circuit) {
  try {
    circuit = circuit_of(service, true);
  } catch (const std::exception& error) {
    return {Code::internal, std::string("no circuit breaker for service \"") + service + "\": " + error.what()};
  }
  if (!circuit) return {Code::not_found, "service \"" + service + "\" is not registered"};
  return {};
}

Status Circuits::force_open_for(const std::string& service, std::chrono::seconds cool_down, const std::string& why) {
  std::shared_ptr<Circuit> circuit;
  if (Status missing = made_for(service, circuit)) return missing;
  std::lock_guard lock(circuit->mutex);
  if (circuit->override != Override::none && !circuit->forced_until_us)
    return {Code::failed_precondition, "the circuit of \"" + service + "\" is " + circuit->last_state + " by an operator's word"};
  const std::string before = circuit->last_state;
  const int64_t now_us = clock_->monotonic_us();
  circuit->override = Override::forced_open;
  circuit->forced_until_us = now_us + std::chrono::duration_cast<std::chrono::microseconds>(cool_down).count();
  const int64_t until_unix_us = clock_->now_unix_us() + (circuit->forced_until_us - now_us);
  published(service, *circuit, before, now_us, std::string(kSpikeUntil) + std::to_string(until_unix_us) + " (" + why + ")");
  return {};
}

Status Circuits::set_state(const std::string& service, const std::string& state, const std::string& by) {
  if (state != "FORCED_OPEN" && state != "DISABLED" && state != "CLOSED")
    return {Code::invalid_argument, "state: \"" + state.substr(0, 40) + "\" is not one of FORCED_OPEN, DISABLED, CLOSED (a reset)"};
  std::shared_ptr<Circuit> circuit;
  if (Status missing = made_for(service, circuit)) return missing;
  std::lock_guard lock(circuit->mutex);
  const std::string before = circuit->last_state;
  circuit->forced_until_us = 0;  // an operator's word replaces a cool-down
  if (state == "CLOSED") {
    try {
      circuit->handle = make_handle_(service);  // a reset: a fresh breaker, an empty window
    } catch (const std::exception& error) {
      return {Code::internal, std::string("could not reset the breaker of \"") + service + "\": " + error.what()};
    }
    circuit->override = Override::none;
  } else {
    circuit->override = state == "DISABLED" ? Override::disabled : Override::forced_open;
  }
  published(service, *circuit, before, clock_->monotonic_us(), by);
  return {};
}

// Publishes a move from `before` to the state now, if there was one.
void Circuits::published(const std::string& service, Circuit& circuit, std::string before, int64_t now_us, const std::string& by) {
  const std::string now = state_of(circuit, now_us);
  circuit.last_state = now;
  if (now == before) return;
  metrics_.gauge_set("hub_circuit_state", 0, {{"service", service}, {"state", before}});
  metrics_.gauge_set("hub_circuit_state", 1, {{"service", service}, {"state", now}});
  hub_circuit_figures figures{};
  figures.struct_size = sizeof figures;
  figures.failure_rate = figures.slow_call_rate = -1;
  const auto& vtable = circuit.handle->vtable<hub_circuit_breaker_vtable>();
  if (HUB_HAS_MEMBER(&vtable, hub_circuit_breaker_vtable, describe) && vtable.describe)
    vtable.describe(circuit.handle->handle(), now_us, &figures);
  {
    const int64_t now_unix_us = clock_->now_unix_us();
    const bool opened = now == "OPEN" || now == "HALF_OPEN";
    std::lock_guard lock(saving_mutex_);
    unsaved_[service] = {service, now, opened ? now_unix_us - (now_us - figures.opened_at_us) : 0, now_unix_us, by};
  }
  const std::string topic = topic_of(now);
  if (!events_.wanted(topic)) return;
  std::string message = "circuit of " + service + ": " + before + " -> " + now;
  if (!by.empty()) message += " (set by " + by + ")";
  if (figures.failure_rate >= 0)
    message += ", failure rate " + rate_text(figures.failure_rate) + "% of " + std::to_string(figures.calls) + " calls";
  events_.publish({topic, "{\"service\":" + json_quote(service) + ",\"from\":" + json_quote(before) + ",\"to\":" + json_quote(now) +
                              ",\"failure_rate\":" + rate_text(figures.failure_rate) +
                              ",\"slow_call_rate\":" + rate_text(figures.slow_call_rate) + ",\"calls\":" + std::to_string(figures.calls) +
                              ",\"set_by\":" + json_quote(by) + ",\"message\":" + json_quote(message) + "}"});
}

}  // namespace hub
