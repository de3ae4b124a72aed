// One circuit breaker per service, shared by every caller through the hub (Resilience4j's users
// ask for this: #419, #1284), the way the core calls every kind: a circuit_breaker handle per
// service, fed the outcomes callers report, asked for a permit by GET /lb. Operators may force a
// circuit open or disable it. Every change of state is an event (`circuit.<state>`), which health
// monitoring raises as an alert.
#pragma once

#include "balancing/call_outcome.hpp"
#include "plugin_host/plugin_instance.hpp"
#include "storage/circuit_store.hpp"

#include <hub/clock.hpp>
#include <hub/event_bus.hpp>
#include <hub/metrics.hpp>
#include <hub/status.hpp>

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

class Circuits {
 public:
  using MakeHandle = std::function<std::unique_ptr<PluginInstance>(const std::string& service)>;
  // Which services may have a circuit: registrants choose names, and one for every name would grow without bound.
  using Knows = std::function<bool(const std::string& service)>;

  enum class Override { none, disabled, forced_open };

  struct Permit {
    bool permitted = true;
    std::string state;  // CLOSED, OPEN, HALF_OPEN, DISABLED, FORCED_OPEN
    int64_t retry_after_us = 0;
  };
  struct View {
    std::string service;
    std::string state;
    hub_circuit_figures figures{};  // monotonic times
    bool described = false;         // the breaker gave its figures
  };

  // `metrics` gets hub_circuit_state{service,state}: 1 for the state a circuit is in, 0 for the others it has been in.
  Circuits(MakeHandle make_handle, Knows knows, EventBus& events, Metrics& metrics, std::shared_ptr<const Clock> clock);
  ~Circuits();

  // May a call to `service` go now? In HALF_OPEN a permit is one of the breaker's trial calls.
  Permit acquire(const std::string& service);
  // A call's outcome. `trial`: it was permitted by acquire() (leased through GET /lb): in HALF_OPEN
  // only those decide.
  void record(const std::string& service, CallResult result, int64_t duration_us, bool trial);
  std::optional<View> view(const std::string& service);
  std::vector<View> views();
  // OPEN's wait ends and trial leases expire with time: each housekeeping pass publishes those moves.
  void tick();
  // "FORCED_OPEN", "DISABLED", or "CLOSED" (a reset: a new breaker with an empty window).
  Status set_state(const std::string& service, const std::string& state, const std::string& by);
  // FORCED_OPEN for `cool_down`, then back to the breaker's own state: what an error spike does to a
  // service that opted in (errors.open_circuit_on_spike). An operator's state is left alone; a
  // second spike meanwhile extends the cool-down. It survives a restart until it ends.
  Status force_open_for(const std::string& service, std::chrono::seconds cool_down, const std::string& why);

  // The circuits storage kept from before a restart: an operator's state comes back as it was, an
  // open circuit keeps waiting from when it opened (through the breaker's restore hook).
  void restore(const std::vector<CircuitRecord>& records);
  // Stores the changes since the last call (housekeeping calls it); throws StorageError, keeping them.
  void save(CircuitStore& store);
  static const char* name_of(hub_circuit_state state);

 private:
  struct Circuit;
  std::shared_ptr<Circuit> circuit_of(const std::string& service, bool create);
  Status made_for(const std::string& service, std::shared_ptr<Circuit>& circuit);
  std::string state_of(Circuit& circuit, int64_t now_us);
  void published(const std::string& service, Circuit& circuit, std::string before, int64_t now_us, const std::string& by = {});

  void apply_restored(const std::string& service, Circuit& circuit);

  MakeHandle make_handle_;
  Knows knows_;
  EventBus& events_;
  Metrics& metrics_;
  std::shared_ptr<const Clock> clock_;
  std::shared_mutex mutex_;  // the map; each circuit has its own
  std::map<std::string, std::shared_ptr<Circuit>, std::less<>> circuits_;
  std::mutex saving_mutex_;                        // the two below
  std::map<std::string, CircuitRecord> unsaved_;   // by service: the latest change of each
  std::map<std::string, CircuitRecord> restored_;  // from storage, until the service's circuit is made
};

}  // namespace hub
