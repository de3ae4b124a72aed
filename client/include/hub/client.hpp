// The C++ client of the hub's registry: what a service needs in a few lines.
//
//   hub::Client hub({.hub_url = "http://central-hub:8001"});
//   hub.register_service({.name = "polygon-live-collector", .host = "collector-1", .port = 8002,
//                         .version = "1.2.3", .dependencies = {"central-hub", "timescaledb"}});
//   hub.start_heartbeats();                        // every 30 s, in the background
//   std::string url = hub.discover("data-bridge"); // "http://10.0.0.7:8001"
//   auto best = hub.pick("data-bridge");           // {host, port, load, ...}: the seed's best instance
//   auto answer = hub.guard("data-bridge", [](const hub::Endpoint& e) { return get(e.url); });
//   if (hub.circuit_state("ml-processing") == "OPEN") ...  // the seed's fallback
//   ...                                            // ~Client stops heartbeats and deregisters
//
// Registration retries with exponential backoff and jitter until the hub
// answers; a refusal (4xx) throws at once with the hub's message.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace hub {

struct ClientOptions {
  // https://… for a hub with TLS. Several hubs on one database: their URLs separated by commas; a
  // request a hub cannot take (no answer, a 5xx) goes on to the next, with a backoff per hub.
  std::string hub_url = "http://127.0.0.1:8001";
  // Sent as "Authorization: Bearer …"; empty: the environment's HUB_TOKEN (a service:NAME token).
  std::string token;
  // HTTPS: the CA file that signed the hub's certificate; empty: HUB_CA_FILE, else the system's CAs.
  std::string ca_file;
  std::chrono::milliseconds request_timeout{2000};
  std::chrono::milliseconds heartbeat_interval{30000};  // the seed's 30 s
  std::chrono::milliseconds initial_backoff{250};
  std::chrono::milliseconds max_backoff{30000};
  int max_register_attempts = 0;  // 0: until the hub answers or stop() is called
  // Call outcomes (report(), guard()) go to the hub in batches this often, from a background thread.
  std::chrono::milliseconds report_interval{5};
  // pick(…, Pick::locally): the load-balancer plugin's strategy the client runs itself, its config
  // keys ({"choice_count", "0"}), and how often the instance list and circuit state are fetched.
  std::string local_strategy = "round_robin";
  std::map<std::string, std::string> local_strategy_config;
  std::chrono::milliseconds local_refresh{1000};
  // Told about each failed attempt before the wait: attempt number (1-based), the wait, why.
  std::function<void(int attempt, std::chrono::milliseconds wait, const std::string& why)> on_retry;
};

struct ServiceRegistration {
  std::string name;
  std::string host;
  uint16_t port = 0;
  std::string protocol = "http";
  std::string health_endpoint = "/health";
  std::string version;
  std::vector<std::string> dependencies;
  std::map<std::string, std::string> metadata;
  std::vector<std::string> tags;
  uint32_t weight = 0;      // 0: the hub's default
  std::string instance_id;  // empty: the hub uses host:port
};

struct InstanceInfo {
  std::string service_name, instance_id, host;
  uint16_t port = 0;
  std::string protocol, url, status, version;
  std::vector<std::string> tags;
  uint32_t weight = 0;
};

// The hub refused the request (status 4xx/5xx) or could not be reached (status 0).
class ClientError : public std::runtime_error {
 public:
  ClientError(int status, const std::string& message) : std::runtime_error(message), status_(status) {}
  int status() const { return status_; }

 private:
  int status_;
};

// GET /lb's answer: the instance the hub's balancer picked for one call.
struct Endpoint {
  std::string service_name, instance_id, host, url;
  uint16_t port = 0;
  std::optional<double> load;  // the seed's: its heartbeats' "load" metric, when it reports one
  int64_t lease = 0;           // name it in the call's outcome (guard() does)
  uint32_t in_flight = 0;      // calls in flight to it over every caller, this one included
};

enum class CallResult { success, failure, timeout, rejected };

// Where pick() decides: the hub's balancer over every caller's calls (a round trip, a lease), or
// the client itself over the instance list it fetched, with its own calls only (no round trip).
enum class Pick { through_hub, locally };

// One call's outcome, for the hub's balancers, the service's circuit and outlier detection.
struct Outcome {
  std::string service, instance_id;
  CallResult result = CallResult::success;
  std::chrono::microseconds duration{0};
  int64_t lease = 0;  // Endpoint::lease, or 0 when the caller chose the instance itself
};

// GET /lb refused: the service's circuit lets no call through now. Route to a fallback.
class CircuitOpen : public ClientError {
 public:
  using ClientError::ClientError;
};

// What the hub wants of this instance during a rollout (on_directive).
struct Directive {
  uint64_t index = 0;
  std::string deployment_id;
  std::string action;   // drain (finish what is in flight), upgrade (to `version`), resume, retire (stop for good)
  std::string version;  // upgrade: the version to run
  std::string reason;
};
// The service's answer: done, or failed with why (a failed upgrade rolls the rollout back).
struct DirectiveResult {
  bool done = true;
  std::string message;
};

// The wait before retry `attempt` (1-based): initial_backoff doubled per attempt, capped at
// max_backoff, then "equal jitter": half of it fixed, half scaled by unit_random in [0, 1).
std::chrono::milliseconds backoff_delay(int attempt, const ClientOptions& options, double unit_random);

class Client {
 public:
  explicit Client(ClientOptions options);
  ~Client();  // stops heartbeats and deregisters what it registered (best effort)
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Returns the hub's warnings (e.g. unknown dependencies). Throws ClientError on a 4xx at
  // once, or after max_register_attempts, or when stop() interrupts the retries.
  std::vector<std::string> register_service(const ServiceRegistration& registration);
  // One heartbeat for the registered instance.
  void heartbeat(const std::string& status = "healthy", const std::map<std::string, double>& metrics = {});
  // Heartbeats every heartbeat_interval from a background thread. `report` supplies the status
  // and metrics of each beat. When the hub no longer knows the instance, it registers again.
  using Report = std::function<std::pair<std::string, std::map<std::string, double>>()>;
  void start_heartbeats(Report report = {});
  void deregister();
  // Asks the hub to send the registered instance no new calls (before a graceful stop), or, with
  // false, to send them again. Throws ClientError when nothing is registered or the hub refuses.
  void drain(bool draining = true);
  // Follows the registered instance's directives from the hub on a thread of its own (a blocking
  // watch) and acknowledges what `handler` answers. The service implements its own upgrade: for
  // "upgrade" it moves to directive.version, typically by restarting as the new version, whose
  // registration (with that version) the hub waits for; the new process's follower does not run
  // the same directive again. Call after register_service; stop() ends it.
  void on_directive(std::function<DirectiveResult(const Directive&)> handler);
  // Interrupts retries, heartbeats and the directive follower; deregister() still works afterwards.
  void stop();

  std::vector<InstanceInfo> services(const std::string& status = "", const std::string& tag = "") const;
  std::vector<InstanceInfo> instances(const std::string& service) const;  // empty when not registered
  // The URL of a healthy instance, taken in turn. Throws ClientError 404 (unknown) or 503 (none up).
  std::string discover(const std::string& service) const;

  // The instance the hub's balancer picks for one call (with `key`, the same one for the same key,
  // under ring_hash or maglev). Throws CircuitOpen while the service's circuit refuses calls.
  // Pick::locally runs options.local_strategy here instead; while the circuit is HALF_OPEN it still
  // asks the hub, whose trial permits decide. Throws ClientError 503 when no instance can serve.
  Endpoint pick(const std::string& service, const std::string& key = "", Pick where = Pick::through_hub) const;
  // Queues a call's outcome; a background thread sends them in batches.
  void report(Outcome outcome);
  // Sends the queued outcomes now.
  void flush_reports();
  // Outcomes dropped: the queue was full (10,000) or the hub did not take a batch.
  uint64_t reports_dropped() const;
  // The seed's get_circuit_state: "CLOSED", "OPEN", "HALF_OPEN", "DISABLED" or "FORCED_OPEN".
  std::string circuit_state(const std::string& service) const;
  // Picks an instance, makes the call, reports how it went (a failure when `call` throws, which is
  // then rethrown), and returns what `call` returned. Throws CircuitOpen before calling when the
  // circuit refuses: the caller's fallback goes there.
  template <class Call>
  auto guard(const std::string& service, Call&& call, const std::string& key = "", Pick where = Pick::through_hub)
      -> decltype(call(std::declval<const Endpoint&>())) {
    const Endpoint endpoint = pick(service, key, where);
    const auto started = std::chrono::steady_clock::now();
    const auto outcome = [&](CallResult result) {
      report({service, endpoint.instance_id, result,
              std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started), endpoint.lease});
    };
    try {
      if constexpr (std::is_void_v<decltype(call(endpoint))>) {
        call(endpoint);
        outcome(CallResult::success);
      } else {
        auto result = call(endpoint);
        outcome(CallResult::success);
        return result;
      }
    } catch (...) {
      outcome(CallResult::failure);
      throw;
    }
  }

  int heartbeats_sent() const;
  int registrations() const;  // successful ones, re-registrations included

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace hub
