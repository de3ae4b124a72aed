#include <hub/client.hpp>

#include "connection.hpp"
#include "directive_follower.hpp"
#include "hub/api/v1/balancing.pb.h"
#include "hub/api/v1/registry.pb.h"
#include "hub/api/v1/status.pb.h"
#include "hub_session.hpp"
#include "local_balancer.hpp"
#include "outcome_reporter.hpp"

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/NetException.h>
#include <Poco/URI.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <random>
#include <sstream>
#include <thread>

namespace hub {

namespace {

namespace v1 = api::v1;
constexpr const char* kProtobuf = "application/x-protobuf";

InstanceInfo info_of(const v1::ServiceInstance& instance) {
  return {instance.service_name(),
          instance.instance_id(),
          instance.host(),
          static_cast<uint16_t>(instance.port()),
          instance.protocol(),
          instance.url(),
          instance.status(),
          instance.version(),
          {instance.tags().begin(), instance.tags().end()},
          instance.weight()};
}

std::string query_escape(const std::string& text) {
  std::string out;
  Poco::URI::encode(text, "&=+?#/ ", out);
  return out;
}

}  // namespace

std::chrono::milliseconds backoff_delay(int attempt, const ClientOptions& options, double unit_random) {
  double delay = static_cast<double>(options.initial_backoff.count());
  for (int i = 1; i < attempt && delay < static_cast<double>(options.max_backoff.count()); ++i) delay *= 2;
  delay = std::min(delay, static_cast<double>(options.max_backoff.count()));
  return std::chrono::milliseconds(static_cast<int64_t>(delay / 2 + delay / 2 * std::clamp(unit_random, 0.0, 1.0)));
}

struct Client::Impl {
  ClientOptions options;
  std::unique_ptr<client::Connection> connection;

  std::mutex state_mutex;
  std::condition_variable wake;
  bool stopping = false;
  std::optional<v1::RegisterRequest> registered;
  std::string instance_id;
  std::thread heartbeat_thread;
  std::atomic<int> beats{0};
  std::atomic<int> registrations{0};
  std::mt19937_64 random{std::random_device{}()};
  std::mutex reporter_mutex;
  std::unique_ptr<client::OutcomeReporter> reporter;                                              // started by the first report
  std::unique_ptr<client::LocalBalancer> local;                                                   // Pick::locally
  std::unique_ptr<client::DirectiveFollower> directives;                                          // on_directive
  std::map<std::string, std::pair<std::string, std::chrono::steady_clock::time_point>> circuits;  // local picks' cache

  std::vector<client::LocalInstance> fetch_instances(const std::string& service) const {
    int status = 0;
    std::vector<client::LocalInstance> found;
    const auto answer = expect<v1::ServiceResponse>("GET", "/services/" + query_escape(service), nullptr, status);
    for (const auto& instance : answer.instances())
      if (instance.status() != "down")
        found.push_back({instance.instance_id(), instance.host(), instance.url(), static_cast<uint16_t>(instance.port()),
                         instance.weight() ? instance.weight() : 100, instance.status() == "healthy"});
    return found;
  }

  // The circuit's state for local picks, asked of the hub at most every local_refresh.
  std::string circuit_for_local(const std::string& service) {
    std::lock_guard lock(reporter_mutex);
    auto& [state, at] = circuits[service];
    const auto now = std::chrono::steady_clock::now();
    if (state.empty() || now - at >= options.local_refresh) {
      int status = 0;
      state = expect<v1::CircuitState>("GET", "/circuits/" + query_escape(service), nullptr, status).state();
      at = now;
    }
    return state;
  }

  // One request; the body and answer are binary protobuf. Throws ClientError.
  std::string call(const std::string& method, const std::string& path, const google::protobuf::Message* body, int& status) const {
    std::string payload;
    if (body) body->SerializeToString(&payload);
    client::Reply reply = connection->exchange(method, path, body ? kProtobuf : "", payload, kProtobuf);
    status = reply.status;
    return std::move(reply.body);
  }

  template <class Answer>
  Answer expect(const std::string& method, const std::string& path, const google::protobuf::Message* body, int& status) const {
    const std::string answer = call(method, path, body, status);
    if (status >= 400) {
      v1::Error error;
      error.ParseFromString(answer);
      throw ClientError(status, method + " " + path + ": " + std::to_string(status) + " " +
                                    (error.message().empty() ? std::string("no message") : error.message()));
    }
    Answer parsed;
    if (!parsed.ParseFromString(answer)) throw ClientError(status, method + " " + path + ": the hub's answer is not a valid message");
    return parsed;
  }

  // Sleeps `wait` unless stop() comes first; returns false when stopping.
  bool pause(std::chrono::milliseconds wait) {
    std::unique_lock lock(state_mutex);
    return !wake.wait_for(lock, wait, [this] { return stopping; });
  }

  std::vector<std::string> register_with_retries(const v1::RegisterRequest& request) {
    for (int attempt = 1;; ++attempt) {
      int status = 0;
      try {
        auto answer = expect<v1::RegisterResponse>("POST", "/register", &request, status);
        {
          std::lock_guard lock(state_mutex);
          registered = request;
          instance_id = answer.instance().instance_id();
        }
        ++registrations;
        return {answer.warnings().begin(), answer.warnings().end()};
      } catch (const ClientError& error) {
        if (error.status() >= 400 && error.status() < 500) throw;  // the hub refused it: retrying changes nothing
        if (options.max_register_attempts && attempt >= options.max_register_attempts)
          throw ClientError(error.status(), "gave up registering after " + std::to_string(attempt) + " attempts: " + error.what());
        double unit;
        {
          std::lock_guard lock(state_mutex);
          unit = std::uniform_real_distribution<double>(0, 1)(random);
        }
        const auto wait = backoff_delay(attempt, options, unit);
        if (options.on_retry) options.on_retry(attempt, wait, error.what());
        if (!pause(wait)) throw ClientError(error.status(), std::string("registration interrupted by stop(): ") + error.what());
      }
    }
  }

  void heartbeat_loop(Report report) {
    while (pause(options.heartbeat_interval)) {
      auto [status, metrics] = report ? report() : std::make_pair(std::string("healthy"), std::map<std::string, double>{});
      try {
        send_heartbeat(status, metrics);
      } catch (const ClientError& error) {
        if (error.status() != 404) continue;  // unreachable or refusing: try again next interval
        std::optional<v1::RegisterRequest> again;
        {
          std::lock_guard lock(state_mutex);
          again = registered;
        }
        try {
          if (again) register_with_retries(*again);  // the hub forgot us (removed as dead): register again
        } catch (const ClientError&) {
        }
      }
    }
  }

  void send_heartbeat(const std::string& status, const std::map<std::string, double>& metrics) {
    v1::HeartbeatRequest request;
    {
      std::lock_guard lock(state_mutex);
      if (!registered) throw ClientError(0, "heartbeat before register_service()");
      request.set_service_name(registered->service_name());
      request.set_instance_id(instance_id);
    }
    request.set_status(status);
    for (const auto& [name, value] : metrics) (*request.mutable_metrics())[name] = value;
    int code = 0;
    expect<v1::HeartbeatResponse>("POST", "/heartbeat", &request, code);
    ++beats;
  }
};

Client::Client(ClientOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  impl_->options.token = client::from_environment(impl_->options.token, "HUB_TOKEN");
  impl_->options.ca_file = client::from_environment(impl_->options.ca_file, "HUB_CA_FILE");
  impl_->connection = std::make_unique<client::Connection>(impl_->options.hub_url, impl_->options.token, impl_->options.ca_file,
                                                           impl_->options.request_timeout);
  impl_->local = std::make_unique<client::LocalBalancer>(
      impl_->options.local_strategy, impl_->options.local_strategy_config, impl_->options.local_refresh,
      [impl = impl_.get()](const std::string& service) { return impl->fetch_instances(service); });
}

Client::~Client() {
  stop();
  try {
    deregister();
  } catch (const ClientError&) {  // the hub's liveness policy removes it in time
  }
}

std::vector<std::string> Client::register_service(const ServiceRegistration& r) {
  v1::RegisterRequest request;
  request.set_service_name(r.name);
  request.set_host(r.host);
  request.set_port(r.port);
  request.set_protocol(r.protocol);
  request.set_health_endpoint(r.health_endpoint);
  request.set_version(r.version);
  request.set_instance_id(r.instance_id);
  request.set_weight(r.weight);
  for (const auto& dependency : r.dependencies) request.add_dependencies(dependency);
  for (const auto& tag : r.tags) request.add_tags(tag);
  for (const auto& [key, value] : r.metadata) (*request.mutable_metadata()->mutable_fields())[key].set_string_value(value);
  return impl_->register_with_retries(request);
}

void Client::heartbeat(const std::string& status, const std::map<std::string, double>& metrics) {
  impl_->send_heartbeat(status, metrics);
}

void Client::start_heartbeats(Report report) {
  if (impl_->heartbeat_thread.joinable()) return;
  {
    std::lock_guard lock(impl_->state_mutex);
    impl_->stopping = false;
  }
  impl_->heartbeat_thread = std::thread([impl = impl_.get(), report = std::move(report)] { impl->heartbeat_loop(report); });
}

void Client::stop() {
  {
    std::lock_guard lock(impl_->state_mutex);
    impl_->stopping = true;
  }
  impl_->wake.notify_all();
  if (impl_->heartbeat_thread.joinable()) impl_->heartbeat_thread.join();
  impl_->directives.reset();
}

void Client::on_directive(std::function<DirectiveResult(const Directive&)> handler) {
  client::DirectiveFollower::Target target{impl_->options.hub_url, impl_->options.token, impl_->options.ca_file, "", "", nullptr};
  {
    std::lock_guard lock(impl_->state_mutex);
    if (!impl_->registered) throw ClientError(0, "on_directive: register_service() first");
    target.service = impl_->registered->service_name();
    target.instance_id = impl_->instance_id;
  }
  target.version = [impl = impl_.get()] {
    std::lock_guard lock(impl->state_mutex);
    return impl->registered ? impl->registered->version() : std::string();
  };
  impl_->directives.reset();
  impl_->directives = std::make_unique<client::DirectiveFollower>(std::move(target), std::move(handler), impl_->options.initial_backoff);
}

void Client::deregister() {
  v1::DeregisterRequest request;
  {
    std::lock_guard lock(impl_->state_mutex);
    if (!impl_->registered) return;
    request.set_service_name(impl_->registered->service_name());
    request.set_instance_id(impl_->instance_id);
  }
  int status = 0;
  try {
    impl_->expect<v1::DeregisterResponse>("POST", "/deregister", &request, status);
  } catch (const ClientError& error) {
    if (error.status() != 404) throw;  // already gone is what was asked
  }
  std::lock_guard lock(impl_->state_mutex);
  impl_->registered.reset();
}

void Client::drain(bool draining) {
  v1::DrainRequest request;
  {
    std::lock_guard lock(impl_->state_mutex);
    if (!impl_->registered) throw ClientError(0, "drain: nothing is registered");
    request.set_service_name(impl_->registered->service_name());
    request.set_instance_id(impl_->instance_id);
  }
  request.set_draining(draining);
  int status = 0;
  impl_->expect<v1::DrainResponse>("POST", "/drain", &request, status);
}

std::vector<InstanceInfo> Client::services(const std::string& status, const std::string& tag) const {
  std::string path = "/services";
  if (!status.empty()) path += "?status=" + query_escape(status);
  if (!tag.empty()) path += std::string(status.empty() ? "?" : "&") + "tag=" + query_escape(tag);
  int code = 0;
  const auto answer = impl_->expect<v1::ServicesResponse>("GET", path, nullptr, code);
  std::vector<InstanceInfo> found;
  for (const auto& instance : answer.services()) found.push_back(info_of(instance));
  return found;
}

std::vector<InstanceInfo> Client::instances(const std::string& service) const {
  int code = 0;
  try {
    const auto answer = impl_->expect<v1::ServiceResponse>("GET", "/services/" + query_escape(service), nullptr, code);
    std::vector<InstanceInfo> found;
    for (const auto& instance : answer.instances()) found.push_back(info_of(instance));
    return found;
  } catch (const ClientError& error) {
    if (error.status() == 404) return {};
    throw;
  }
}

std::string Client::discover(const std::string& service) const {
  int code = 0;
  return impl_->expect<v1::DiscoverResponse>("GET", "/discover/" + query_escape(service), nullptr, code).url();
}

Endpoint Client::pick(const std::string& service, const std::string& key, Pick where) const {
  if (where == Pick::locally) {
    const std::string circuit = impl_->circuit_for_local(service);
    if (circuit == "OPEN" || circuit == "FORCED_OPEN")
      throw CircuitOpen(503, "the circuit of \"" + service + "\" is " + circuit + " (as of the last look): use your fallback");
    if (circuit != "HALF_OPEN") {  // in HALF_OPEN only the hub's trial permits may call
      const auto picked = impl_->local->pick(service, key);
      if (!picked) throw ClientError(503, "service \"" + service + "\" has no healthy or degraded instance (picked locally)");
      return {service, picked->instance_id, picked->host, picked->url, picked->port, std::nullopt, 0, 0};
    }
  }
  int code = 0;
  const std::string path = "/lb/" + query_escape(service) + (key.empty() ? "" : "?key=" + query_escape(key));
  v1::BalancedEndpoint answer;
  try {
    answer = impl_->expect<v1::BalancedEndpoint>("GET", path, nullptr, code);
  } catch (const ClientError& error) {
    if (error.status() == 503 && std::string(error.what()).find("circuit") != std::string::npos) throw CircuitOpen(503, error.what());
    throw;
  }
  Endpoint endpoint{answer.service_name(), answer.instance_id(), answer.host(),     answer.url(), static_cast<uint16_t>(answer.port()),
                    std::nullopt,          answer.lease(),       answer.in_flight()};
  if (answer.has_load()) endpoint.load = answer.load();
  return endpoint;
}

void Client::report(Outcome outcome) {
  static const char* const kResults[] = {"success", "failure", "timeout", "rejected"};
  if (outcome.lease == 0)
    impl_->local->finished(outcome.service, outcome.instance_id, outcome.duration, outcome.result == CallResult::success);
  v1::CallOutcome out;
  out.set_service_name(std::move(outcome.service));
  out.set_instance_id(std::move(outcome.instance_id));
  out.set_result(kResults[static_cast<int>(outcome.result)]);
  out.set_duration_ms(static_cast<double>(outcome.duration.count()) / 1000.0);
  out.set_lease(static_cast<uint32_t>(outcome.lease));
  std::lock_guard lock(impl_->reporter_mutex);
  if (!impl_->reporter)
    impl_->reporter = std::make_unique<client::OutcomeReporter>(
        [impl = impl_.get()](const v1::OutcomesRequest& batch) {
          int status = 0;
          impl->expect<v1::OutcomesResponse>("POST", "/outcomes", &batch, status);
        },
        impl_->options.report_interval);
  impl_->reporter->add(std::move(out));
}

void Client::flush_reports() {
  std::lock_guard lock(impl_->reporter_mutex);
  if (impl_->reporter) impl_->reporter->flush();
}

uint64_t Client::reports_dropped() const {
  std::lock_guard lock(impl_->reporter_mutex);
  return impl_->reporter ? impl_->reporter->dropped() : 0;
}

std::string Client::circuit_state(const std::string& service) const {
  int code = 0;
  return impl_->expect<v1::CircuitState>("GET", "/circuits/" + query_escape(service), nullptr, code).state();
}

int Client::heartbeats_sent() const {
  return impl_->beats;
}
int Client::registrations() const {
  return impl_->registrations;
}

}  // namespace hub
