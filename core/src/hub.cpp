#include <hub/errors.hpp>
#include <hub/hub.hpp>

#include "api/access_gate.hpp"
#include "api/backups_api.hpp"
#include "api/balancing_api.hpp"
#include "api/cluster_api.hpp"
#include "api/config_api.hpp"
#include "api/deployments_api.hpp"
#include "api/errors_api.hpp"
#include "api/events_api.hpp"
#include "api/health_api.hpp"
#include "api/liveness_api.hpp"
#include "api/performance_api.hpp"
#include "api/registry_api.hpp"
#include "api/security_api.hpp"
#include "api/snapshot_api.hpp"
#include "api/ui_api.hpp"
#include "backups/backup_jobs.hpp"
#include "balancing/balancer.hpp"
#include "balancing/circuits.hpp"
#include "basics/json_text.hpp"
#include "basics/logging.hpp"
#include "basics/network.hpp"
#include "basics/outage_log.hpp"
#include "cluster/change_follower.hpp"
#include "cluster/membership.hpp"
#include "deployments/deployments.hpp"
#include "error_groups/error_groups.hpp"
#include "events/nats_publisher.hpp"
#include "health/health_monitor.hpp"
#include "http/encoding.hpp"
#include "http/server.hpp"
#include "hub/api/v1/status.pb.h"
#include "performance/performance_reports.hpp"
#include "plugin_host/kinds.hpp"
#include "plugin_set/plugin_set.hpp"
#include "plugin_set/references.hpp"
#include "registry/discovery_plugins.hpp"
#include "registry/liveness.hpp"
#include "registry/registry.hpp"
#include "security/audit_log.hpp"
#include "security/credentials.hpp"
#include "security/registration_policy.hpp"
#include "security/token.hpp"
#include "storage/group_commit.hpp"
#include "storage/storage.hpp"

#include <google/protobuf/stubs/logging.h>

#include <pthread.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace hub {

HubOptions HubOptions::from_file(const std::filesystem::path& manifest_file) {
  HubOptions options;
  options.manifest = load_manifest(manifest_file);
  return options;
}

struct Hub::Impl {
  explicit Impl(HubOptions given)
      : options(std::move(given)),
        clock(options.clock ? options.clock : std::make_shared<SystemClock>()),
        logger(make_logger(options.manifest.logging, "hub", options.log_lines)) {}

  HubOptions options;
  std::shared_ptr<Clock> clock;
  std::shared_ptr<Metrics> metrics = std::make_shared<Metrics>();
  std::shared_ptr<spdlog::logger> logger;
  EventBus events;
  std::mutex lifecycle;
  // Declared in the order of their lifetimes: what comes later dies first.
  std::unique_ptr<Storage> storage;
  std::unique_ptr<GroupCommit> writes;                 // stopped before what its writes' callbacks refer to
  std::unique_ptr<security::Credentials> credentials;  // only with auth: required
  std::shared_ptr<security::AuditLog> audit;
  std::unique_ptr<security::RegistrationPolicy> registration_policy;
  std::unique_ptr<NatsPublisher> nats;
  uint64_t nats_subscription = 0;
  uint64_t spike_subscription = 0;  // errors.open_circuit_on_spike
  PluginSet plugins;
  HostServices plugin_host;
  std::unique_ptr<Registry> registry;  // only when a discovery implementation is enabled
  std::unique_ptr<Balancer> balancer;  // with the registry
  std::unique_ptr<Circuits> circuits;  // with the registry
  std::unique_ptr<DiscoveryPlugins> discovery;
  std::unique_ptr<Liveness> liveness;  // only when an implementation offers a liveness policy
  std::unique_ptr<config::ConfigStore> configs;
  std::unique_ptr<deployments::DirectiveBoard> directives;  // with the registry
  std::unique_ptr<deployments::Deployments> rollouts;       // with the registry; stopped before what it drives
  // Released after the plugins: the plugins may hold its reporter contexts until destroyed.
  std::unique_ptr<HealthMonitor> monitor;
  std::unique_ptr<backups::BackupJobs> backup_jobs;              // after storage, before the server
  std::unique_ptr<error_groups::ErrorGroups> error_groups;       // what services report to POST /errors
  std::unique_ptr<performance::PerformanceReports> performance;  // what they report to POST /performance
  std::unique_ptr<cluster::ChangeFollower> follower;             // other hubs' changes, on a shared PostgreSQL
  std::unique_ptr<cluster::Membership> membership;               // the hubs on that PostgreSQL, sharing the checks
  std::atomic<uint64_t> ring_epoch{1};                           // each new ring of hubs, for the health checks
  std::unique_ptr<http::Server> server;
  int64_t started_us = 0;
  // The housekeeping thread: liveness passes, heartbeat flushes, storage reconnects.
  std::thread housekeeper;
  std::mutex housekeeping_mutex;
  std::condition_variable housekeeping_wake;
  bool stopping = false;
  bool storage_failing = false;  // a housekeeping step failed; storage->check() tells when it is back
  OutageLog health_outage{logger, "health results not written to storage; they are kept in memory (bounded) meanwhile"};
  OutageLog liveness_outage{logger, "liveness changes not stored; instances keep their status meanwhile"};
  OutageLog heartbeat_outage{logger, "heartbeats not written to storage; they are kept in memory (bounded) meanwhile"};
  OutageLog audit_outage{logger, "audit entries not written to storage; they are logged, and kept in memory (bounded) meanwhile"};
  OutageLog circuit_outage{logger, "circuit states not written to storage; kept in memory until it answers"};
  OutageLog error_group_outage{logger, "error groups and performance totals not written to storage; kept in memory until it answers"};
  int64_t error_groups_saved_us = 0;         // monotonic
  std::atomic<bool> liveness_leader{false};  // several hubs on one database: this one runs the liveness passes
  int64_t heartbeats_read_us = 0;            // the newest heartbeat the liveness leader read from storage
  OutageLog token_outage{logger, "tokens not read back from storage; tokens changed offline (hubd token) are not seen meanwhile"};

  std::shared_ptr<http::Router> routes();
  http::Response health(const http::Request& request);
  http::Response plugin_list(const http::Request& request) const;
  void connect_events();
  void check_exposure() const;
  void open_security();
  void open_registry();
  void open_monitor();
  void open_deployments();
  void open_circuits_on_spikes();
  void open_backups();
  void open_error_groups();
  void open_cluster(int64_t feed_from);
  void start_membership();
  MemberRecord self() const;
  bool leads_liveness();
  void save_error_groups();
  Status restore_snapshot(const StoredState& state);
  void describe_metrics();
  void scrape();
  void housekeeping_loop();
  void housekeep();
  void stop_housekeeping();
  void publish(const std::string& topic, const std::string& json);
  void release();
};

namespace {

constexpr int64_t kHeartbeatReadMarginUs = 10'000'000;

// protobuf writes a line to stderr for each string of a client's that is not UTF-8: a client could flood
// the log with them. The hub has already refused such a request with a 400 that says so.
void quiet_protobuf(google::protobuf::LogLevel level, const char*, int, const std::string&) {
  (void)level;  // FATAL still aborts inside protobuf after the handler returns
}

}  // namespace

Hub::Hub(HubOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {
  static std::once_flag once;
  std::call_once(once, [] { google::protobuf::SetLogHandler(&quiet_protobuf); });
}

Hub::~Hub() {
  stop();
}

void Hub::start() {
  std::lock_guard lock(impl_->lifecycle);
  if (impl_->server) return;
  const Manifest& manifest = impl_->options.manifest;
  impl_->check_exposure();
  try {
    impl_->storage = open_storage(manifest.storage);
    if (int applied = impl_->storage->migrate(migrations_for(impl_->storage->backend())))
      impl_->logger->info("applied {} schema migration(s) to {} storage", applied, impl_->storage->backend());
    impl_->writes = std::make_unique<GroupCommit>(*impl_->storage);
    impl_->open_security();
    impl_->describe_metrics();
    impl_->connect_events();
    impl_->plugin_host = plugin_services(impl_->clock, impl_->metrics, impl_->logger);
    impl_->plugin_host.publish = [impl = impl_.get()](const std::string& topic, const std::string& json) { impl->publish(topic, json); };
    impl_->plugins.load(manifest, impl_->options.static_plugins, impl_->plugin_host);
    check_references(manifest, impl_->plugins);
    // Read before the registry and the configs are: every change from here on is in the feed too.
    const int64_t feed_from = impl_->storage->has_change_feed() ? impl_->storage->latest_change() : 0;
    impl_->open_registry();
    impl_->configs = std::make_unique<config::ConfigStore>(*impl_->storage, *impl_->writes, manifest.config_management, *impl_->clock,
                                                           impl_->events, impl_->logger);
    impl_->configs->restore();
    impl_->open_cluster(feed_from);
    // Before the rollout engine, whose gates ask it.
    impl_->open_error_groups();
    impl_->open_deployments();
    impl_->open_circuits_on_spikes();
    impl_->open_monitor();
    impl_->open_backups();
    impl_->server = std::make_unique<http::Server>(manifest.listen, manifest.http, impl_->routes(), manifest.security.tls);
    impl_->started_us = impl_->clock->monotonic_us();  // before serving: /health and /metrics read it
    impl_->server->start();
    impl_->start_membership();
    if (impl_->liveness) impl_->liveness->begin_grace("the hub started serving");
    impl_->stopping = false;
    impl_->housekeeper = std::thread([impl = impl_.get()] {
      pthread_setname_np(pthread_self(), "hub-housekeep");
      impl->housekeeping_loop();
    });
  } catch (...) {
    impl_->release();
    throw;
  }
  impl_->publish("hub.started", "{\"listen\":" + json_quote(manifest.listen.host + ":" + std::to_string(port())) +
                                    ",\"deployment\":" + json_quote(manifest.name) + ",\"version\":\"" HUB_VERSION "\"}");
  impl_->logger->info("listening on {}:{} ({}, {} storage, {} plugin instance(s))", manifest.listen.host, port(), manifest.name,
                      impl_->storage->backend(), impl_->plugins.instances().size());
}

void Hub::stop() {
  std::lock_guard lock(impl_->lifecycle);
  if (!impl_->server) return;
  impl_->publish("hub.stopping", "{\"deployment\":" + json_quote(impl_->options.manifest.name) + "}");
  impl_->release();
  impl_->logger->info("stopped");
}

namespace {

bool is_loopback(const std::string& host) {
  if (host == "localhost") return true;
  const auto address = IpAddress::parse(host);
  std::string unused;
  return address && (Network::parse("127.0.0.0/8", unused)->contains(*address) || Network::parse("::1", unused)->contains(*address));
}

}  // namespace

// Safe by default: without auth the hub serves only its own machine unless the YAML says otherwise.
void Hub::Impl::check_exposure() const {
  const Manifest& manifest = options.manifest;
  if (manifest.security.auth == SecuritySettings::Auth::required) return;
  if (!is_loopback(manifest.listen.host) && !manifest.security.allow_remote_without_auth)
    throw std::runtime_error("auth is disabled and listen is " + manifest.listen.to_string() +
                             ", not a loopback address: anyone who reaches it could register, deregister and rewrite configs. Set "
                             "auth: required (README, \"Security\"), or allow_remote_without_auth: true to serve without tokens anyway");
  logger->warn("auth is disabled: every client that reaches {} may do anything, as admin{}", manifest.listen.to_string(),
               manifest.security.allow_remote_without_auth ? " (allow_remote_without_auth: true)" : "");
}

void Hub::Impl::open_security() {
  const SecuritySettings& settings = options.manifest.security;
  registration_policy = std::make_unique<security::RegistrationPolicy>(settings.registration);
  audit = std::make_shared<security::AuditLog>(*storage, *clock, logger, settings.audit_retention_days);
  if (settings.auth != SecuritySettings::Auth::required) return;
  credentials = std::make_unique<security::Credentials>(*storage, *clock);
  credentials->reload();
  if (const char* hash = std::getenv("HUB_ADMIN_TOKEN_SHA256"); hash && *hash) {
    if (!security::is_sha256_hex(hash))
      throw std::runtime_error("HUB_ADMIN_TOKEN_SHA256 is not a SHA-256 in hex (64 hex digits): give sha256sum's output for the token");
    credentials->trust_admin_hash(hash, "HUB_ADMIN_TOKEN_SHA256");
  }
  const auto tokens = credentials->list();
  const bool admin = std::any_of(tokens.begin(), tokens.end(),
                                 [](const TokenRecord& token) { return token.role == "admin" && !token.revoked_at_unix_us; });
  if (!admin)
    logger->warn(
        "auth is required and no admin token exists: create one with `hubd token create --config FILE --role admin`, or set "
        "HUB_ADMIN_TOKEN_SHA256 (README, \"Security\")");
}

void Hub::Impl::connect_events() {
  if (!options.manifest.events.nats) return;
  nats = std::make_unique<NatsPublisher>(*options.manifest.events.nats, logger);
  nats_subscription = events.subscribe([publisher = nats.get()](const Event& event) { publisher->publish(event); });
}

void Hub::Impl::open_registry() {
  std::vector<const PluginInstance*> sources;
  for (const auto& instance : plugins.instances())
    if (instance->kind() == HUB_KIND_DISCOVERY) sources.push_back(instance.get());
  if (sources.empty()) return;
  registry = std::make_unique<Registry>(clock, *storage, *writes, events);
  registry->restore();
  const LoadBalancingSettings& balancing = options.manifest.load_balancing;
  balancer = std::make_unique<Balancer>(
      *registry, balancing,
      [this, &balancing](const std::string& service) {
        const std::string& id = balancing.balancer_for(service);
        return plugins.another(id, (id.empty() ? "round_robin" : id) + "/" + service, plugin_host);
      },
      clock);
  metrics->describe("hub_instance_ejections_total", Metrics::Type::counter, "Instances outlier detection ejected, by service.");
  balancer->on_ejection([this](const Balancer::Ejection& ejection) {
    metrics->counter_add("hub_instance_ejections_total", 1, {{"service", ejection.service}});
    if (!events.wanted("instance.ejected")) return;
    const std::string message = "instance " + ejection.instance_id + " of " + ejection.service + " ejected for " +
                                std::to_string((ejection.until_us - clock->monotonic_us() + 500'000) / 1'000'000) +
                                " s: " + ejection.reason;
    events.publish({"instance.ejected", "{\"service\":" + json_quote(ejection.service) + ",\"instance_id\":" +
                                            json_quote(ejection.instance_id) + ",\"times\":" + std::to_string(ejection.times) +
                                            ",\"reason\":" + json_quote(ejection.reason) + ",\"message\":" + json_quote(message) + "}"});
  });
  const CircuitBreakingSettings& breaking = options.manifest.circuit_breaking;
  circuits = std::make_unique<Circuits>(
      [this, &breaking](const std::string& service) {
        const std::string& id = breaking.breaker_for(service);
        return id.empty() ? builtin_breaker("sliding_window/" + service, plugin_host)
                          : plugins.another(id, id + "/" + service, plugin_host);
      },
      [this](const std::string& service) { return registry->knows(service); }, events, *metrics, clock);
  try {
    circuits->restore(storage->load_circuits());
  } catch (const std::exception& error) {
    logger->warn("the circuits open before the restart were not read back, and start closed: {}", error.what());
  }
  discovery = std::make_unique<DiscoveryPlugins>(sources, *registry, logger);
  discovery->start();
  if (discovery->liveness_policy())
    liveness =
        std::make_unique<Liveness>(*registry, discovery->liveness_policy(), options.manifest.liveness, clock, events, *metrics, logger);
}

// Rollouts drive the registry's instances through the balancer and the config store: they need
// all three, and resume where they stood before the hub's last stop.
void Hub::Impl::open_deployments() {
  if (!registry) return;
  directives = std::make_unique<deployments::DirectiveBoard>(events);
  const DeploymentSettings& settings = options.manifest.deployments;
  // The gates see the errors the new version brings; error_groups is made later, and asked then.
  const auto new_errors = [this](const std::string& service, const std::string& version, int64_t since_us) {
    std::vector<deployments::NewError> found;
    if (error_groups)
      for (const auto& seen : error_groups->first_seen_since(service, version, since_us))
        found.push_back({seen.fingerprint, seen.type, seen.events});
    return found;
  };
  rollouts = std::make_unique<deployments::Deployments>(
      deployments::Deployments::Parts{*registry, *balancer, *configs, *storage, *directives, events, clock, logger, new_errors}, settings,
      [this, &settings](const std::string& strategy) -> std::unique_ptr<PluginInstance> {
        if (auto named = settings.strategies.find(strategy); named != settings.strategies.end())
          return plugins.another(named->second, "deployment/" + strategy, plugin_host);
        return builtin_coordinator(strategy, plugin_host);
      });
  balancer->on_report([engine = rollouts.get()](const std::string& service, const CallOutcome& outcome) {
    engine->observe(service, outcome.instance_id, outcome.result == CallResult::success, outcome.duration_us);
  });
  rollouts->restore();
  rollouts->start();
}

// A service that opted in has its circuit forced open for a cool-down when its errors spike.
void Hub::Impl::open_circuits_on_spikes() {
  const auto& cool_downs = options.manifest.errors.open_circuit_on_spike;
  if (cool_downs.empty() || !circuits) return;
  spike_subscription = events.subscribe(
      [this, &cool_downs](const Event& event) {
        const nlohmann::json spike = nlohmann::json::parse(event.json, nullptr, false);
        if (!spike.is_object() || spike.contains("fingerprint")) return;  // a group's spike; the service's is the one that acts
        const std::string service = spike.value("service", "");
        auto cool_down = cool_downs.find(service);
        if (cool_down == cool_downs.end()) return;
        const Status forced = circuits->force_open_for(service, std::chrono::seconds(cool_down->second), spike.value("message", ""));
        if (forced) logger->warn("error spike of {}: its circuit stays as it is: {}", service, forced.message());
      },
      {"errors.spike"});
}

// Several hubs on one PostgreSQL: each takes the others' stored changes into memory.
void Hub::Impl::open_cluster(int64_t feed_from) {
  if (!storage->has_change_feed()) return;
  follower = std::make_unique<cluster::ChangeFollower>(*storage, registry.get(), *configs, logger);
  follower->start(feed_from);
  const auto share = [this](std::shared_ptr<const cluster::HashRing> ring) {
    if (!monitor) return;
    auto ownership = std::make_shared<CheckOwnership>();
    ownership->epoch = ++ring_epoch;
    ownership->self = storage->hub_id();
    ownership->owner = [ring](const std::string& key) { return ring->owner(key); };
    monitor->share_checks(std::move(ownership));
  };
  membership = std::make_unique<cluster::Membership>(
      *storage, [this] { return follower->applied(); }, share, logger, cluster::Membership::Settings{});
}

// Once the server listens (its port and start known): the other hubs see this one, and the checks are shared.
void Hub::Impl::start_membership() {
  if (membership) membership->start(self());
}

MemberRecord Hub::Impl::self() const {
  std::string host = options.manifest.listen.host;
  if (host.empty() || host == "0.0.0.0" || host == "::") {  // every address: the machine's name reaches it
    char name[256] = {};
    gethostname(name, sizeof name - 1);
    host = name;
  }
  const bool ipv6 = host.find(':') != std::string::npos;
  const std::string port_text = server ? std::to_string(server->port()) : std::to_string(options.manifest.listen.port);
  return {storage->hub_id().empty() ? "local" : storage->hub_id(),
          (ipv6 ? "[" + host + "]" : host) + ":" + port_text,
          HUB_VERSION,
          clock->now_unix_us() - (clock->monotonic_us() - started_us),
          0,
          0};
}

// With several hubs on one database one of them, holding the lease, judges every instance's silence,
// from the heartbeats any hub took (each flushes them to storage every pass). When it dies, the
// next hub to find the lease free takes it over at its next pass.
bool Hub::Impl::leads_liveness() {
  if (!storage->has_change_feed()) return true;  // the only hub on its storage
  const bool held = storage->hold_lease("liveness");
  if (held != liveness_leader.exchange(held))
    logger->info(held ? "this hub now runs the liveness passes for the hubs on this database" : "another hub runs the liveness passes now");
  if (held) {
    // Only what was flushed since the last read, with a margin for flushes in flight and the hubs'
    // clocks (each heartbeat carries the time its hub took it).
    const std::vector<HeartbeatMark> marks = storage->load_heartbeats(heartbeats_read_us - kHeartbeatReadMarginUs);
    for (const HeartbeatMark& mark : marks) heartbeats_read_us = std::max(heartbeats_read_us, mark.last_heartbeat_unix_us);
    registry->merge_heartbeats(marks);
  }
  return held;
}

// What services reported before the hub's last stop comes back: old errors are not new again.
void Hub::Impl::open_error_groups() {
  error_groups = std::make_unique<error_groups::ErrorGroups>(options.manifest.errors, clock, events, *metrics);
  performance = std::make_unique<performance::PerformanceReports>(clock, *metrics);
  try {
    if (const size_t unreadable = error_groups->restore(storage->load_error_groups()))
      logger->warn("{} stored error group(s) or rate(s) could not be read and were skipped", unreadable);
    if (const size_t unreadable = performance->restore(storage->load_operation_timings()))
      logger->warn("{} stored performance total(s) could not be read and were skipped", unreadable);
  } catch (const std::exception& error) {
    logger->warn("the error groups and performance totals before the restart were not read back, and start empty: {}", error.what());
  }
}

// Both together: a group's row and the totals change with the same traffic.
void Hub::Impl::save_error_groups() {
  if (error_groups) error_groups->save(*storage);
  if (performance) performance->save(*storage);
}

void Hub::Impl::open_backups() {
  backups::BackupJobs::Parts parts{*storage, *storage, events, clock, logger, HUB_VERSION};
  if (storage->has_change_feed()) parts.leads = [this] { return storage->hold_lease("backups"); };  // one hub runs them
  backup_jobs = std::make_unique<backups::BackupJobs>(parts, options.manifest.backups);
  backup_jobs->restore();
  backup_jobs->start();
}

// POST /snapshot/restore: into a hub that holds nothing yet (before it takes traffic), so each part
// takes the restored state as it takes storage's at a start.
Status Hub::Impl::restore_snapshot(const StoredState& state) {
  try {
    if (!storage->export_state().empty() || (registry && !registry->instances().empty()))
      return {Code::failed_precondition,
              "this hub already holds instances, configs or rollouts: restore into an empty hub, or stop this one and run hubd "
              "--snapshot-restore FILE --config CONFIG --force; nothing was changed"};
    storage->import_state(state);
    if (registry) registry->restore();
    configs->reload();
    if (circuits) circuits->restore(storage->load_circuits());
    if (rollouts) rollouts->restore();
  } catch (const std::exception& error) {
    return {Code::unavailable, std::string("the snapshot was not restored: ") + error.what(), "storage_unavailable"};
  }
  logger->warn("restored a snapshot: {} instance(s), {} config version(s), {} rollout(s)", state.instances.size(),
               state.config_versions.size(), state.rollouts.size());
  publish("hub.restored", "{\"instances\":" + std::to_string(state.instances.size()) +
                              ",\"config_versions\":" + std::to_string(state.config_versions.size()) +
                              ",\"rollouts\":" + std::to_string(state.rollouts.size()) + "}");
  return {};
}

void Hub::Impl::open_monitor() {
  const HealthMonitoringSettings& settings = options.manifest.health_monitoring;
  if (!settings.enabled) return;
  std::map<std::string, const PluginInstance*> probes;
  for (const auto& instance : plugins.instances())
    if (instance->kind() == HUB_KIND_HEALTH_PROBE) probes[instance->id()] = instance.get();
  monitor = std::make_unique<HealthMonitor>(settings, std::move(probes), clock, registry.get(), *storage, events, *metrics, logger);
  // Several hubs: alerts each may raise on its own go out once, from the first to claim them.
  if (storage->has_change_feed()) monitor->claim_alerts([this](const std::string& key) { return storage->claim_alert(key); });
  // Several hubs: none of the checks is this hub's until it knows the others (at its first beat).
  if (storage->has_change_feed())
    monitor->share_checks(
        std::make_shared<CheckOwnership>(CheckOwnership{1, storage->hub_id(), [](const std::string&) { return std::string(); }}));
  monitor->start(options.health_scheduler_thread);
}

void Hub::Impl::describe_metrics() {
  using Type = Metrics::Type;
  metrics->describe("hub_info", Type::gauge, "The hub's version; always 1.");
  metrics->describe("hub_uptime_seconds", Type::gauge, "Seconds since the hub started.");
  metrics->describe("hub_config_watchers", Type::gauge, "Config watches parked now: blocking queries and WebSocket streams.");
  metrics->describe("hub_registry_instances", Type::gauge, "Instances in the registry, by status.");
  metrics->describe("hub_storage_write_groups_total", Type::counter,
                    "Transactions that stored registrations, removals, status and config changes: one per group commit.");
  metrics->describe("hub_storage_writes_total", Type::counter, "Writes those transactions carried; over the groups, the mean group size.");
  metrics->describe("hub_storage_largest_write_group", Type::gauge, "Writes in the largest group committed so far.");
  metrics->describe("hub_audit_dropped_total", Type::counter,
                    "Audit entries dropped before storage took them (storage away and the memory cap reached); each was logged.");
  metrics->describe("hub_housekeeping_failures_total", Type::counter,
                    "Housekeeping passes that failed and will be retried (storage refused a write), by task.");
  metrics->describe("hub_change_feed_lag", Type::gauge,
                    "Several hubs on one PostgreSQL: changes other hubs stored that this one has not taken in yet.");
  metrics->gauge_set("hub_info", 1, {{"version", HUB_VERSION}});
}

// Gauges read at the scrape rather than kept current on every change.
void Hub::Impl::scrape() {
  metrics->gauge_set("hub_uptime_seconds", static_cast<double>((clock->monotonic_us() - started_us) / 1'000'000));
  metrics->gauge_set("hub_config_watchers", static_cast<double>(configs->watching()));
  if (follower)
    metrics->gauge_set("hub_change_feed_lag", static_cast<double>(std::max<int64_t>(0, follower->latest() - follower->applied())));
  const GroupCommit::Figures groups = writes->figures();
  metrics->counter_set("hub_storage_write_groups_total", static_cast<double>(groups.groups));
  metrics->counter_set("hub_storage_writes_total", static_cast<double>(groups.writes));
  metrics->gauge_set("hub_storage_largest_write_group", static_cast<double>(groups.largest));
  metrics->counter_set("hub_audit_dropped_total", static_cast<double>(audit->dropped()));
  if (!registry) return;
  std::map<std::string, double> by_status{{"healthy", 0}, {"degraded", 0}, {"down", 0}};
  for (const InstanceRecord& instance : registry->instances()) ++by_status[instance.status];
  for (const auto& [status, count] : by_status) metrics->gauge_set("hub_registry_instances", count, {{"status", status}});
}

void Hub::Impl::housekeeping_loop() {
  std::unique_lock lock(housekeeping_mutex);
  while (!housekeeping_wake.wait_for(lock, options.housekeeping_interval, [this] { return stopping; })) {
    lock.unlock();
    housekeep();
    lock.lock();
  }
}

// Each step runs on its own: one failing (a liveness change storage refuses) does not hold back
// the others (the heartbeats). An outage is logged when it starts and when it ends.
void Hub::Impl::housekeep() {
  // A failing step marks storage as failing, which begins a liveness grace when it answers again;
  // the audit trail and the tokens are not liveness's business, so theirs do not.
  const auto step = [this](OutageLog& log, const char* task, const auto& work, bool marks_outage = true) {
    try {
      work();
      log.succeeded();
    } catch (const std::exception& error) {
      if (marks_outage) storage_failing = true;
      metrics->counter_add("hub_housekeeping_failures_total", 1, {{"task", task}});
      log.failed(error.what());
    }
  };
  // While storage is away nothing the liveness pass decides can be stored, and instances cannot be
  // marked healthy again: their silence counts from its return.
  if (storage_failing && storage->check().status == "healthy") {
    storage_failing = false;
    if (liveness) liveness->begin_grace("storage is back");
  }
  const bool storage_back = !storage_failing;
  if (monitor) step(health_outage, "health_results", [&] { monitor->flush(); });
  if (registry) {
    if (liveness && storage_back)
      step(liveness_outage, "liveness", [&] {
        if (leads_liveness()) liveness->run_pass();
      });
    step(heartbeat_outage, "heartbeats", [&] { registry->flush_heartbeats(); });
    circuits->tick();
    balancer->review_outliers();
  }
  if (error_groups) error_groups->sweep();  // a spike ends when the errors stop coming
  // Last: waiting on a locked database here must not hold back liveness and heartbeats.
  const auto store_audit = [&] { audit->flush(); };
  const auto read_tokens = [&] { credentials->reload(); };
  step(audit_outage, "audit", store_audit, false);
  if (circuits)
    step(
        circuit_outage, "circuits", [&] { circuits->save(*storage); }, false);
  if (credentials) step(token_outage, "tokens", read_tokens, false);
  const int64_t now_us = clock->monotonic_us();
  if (now_us - error_groups_saved_us >= int64_t{options.manifest.errors.save_interval_seconds} * 1'000'000) {
    error_groups_saved_us = now_us;
    step(
        error_group_outage, "error_groups", [&] { save_error_groups(); }, false);
  }
}

void Hub::Impl::stop_housekeeping() {
  {
    std::lock_guard lock(housekeeping_mutex);
    stopping = true;
  }
  housekeeping_wake.notify_all();
  if (housekeeper.joinable()) housekeeper.join();
}

void Hub::Impl::publish(const std::string& topic, const std::string& json) {
  events.publish(Event{topic, json, clock->now_unix_us()});
}

void Hub::Impl::release() {
  if (membership) membership->stop();  // first: the other hubs take this one's checks over at once
  if (follower) follower->stop();      // before what it writes into
  stop_housekeeping();
  if (rollouts) rollouts->stop();
  if (backup_jobs) backup_jobs->stop();
  if (server) server->stop();
  server.reset();
  if (discovery) discovery->stop();
  if (monitor) {
    for (const PluginInstance* hung : monitor->stop()) {
      logger->error("probe '{}' never returned from check(); it is left loaded and is not destroyed", hung->id());
      plugins.abandon(hung);
    }
    try {
      monitor->flush();
    } catch (const std::exception& error) {
      logger->warn("the last health results were not written at stop: {}", error.what());
    }
  }
  if (circuits) {
    try {
      circuits->save(*storage);
    } catch (const std::exception& error) {
      logger->warn("the last circuit changes were not written at stop: {}", error.what());
    }
  }
  try {
    save_error_groups();
  } catch (const std::exception& error) {
    logger->warn("the last error groups and performance totals were not written at stop: {}", error.what());
  }
  if (writes) writes->stop();
  if (audit) {
    try {
      audit->flush();
    } catch (const std::exception& error) {
      logger->warn("the last audit entries were not written at stop (they were logged): {}", error.what());
    }
  }
  if (registry) {
    try {
      registry->flush_heartbeats();
    } catch (const std::exception& error) {
      logger->warn("the last heartbeats were not written at stop: {}", error.what());
    }
  }
  if (spike_subscription) events.unsubscribe(spike_subscription);  // before what its handler uses
  rollouts.reset();
  directives.reset();
  backup_jobs.reset();
  error_groups.reset();
  performance.reset();
  follower.reset();
  configs.reset();
  liveness.reset();
  discovery.reset();
  circuits.reset();
  balancer.reset();
  registry.reset();
  plugins.clear();
  monitor.reset();
  if (nats) events.unsubscribe(nats_subscription);
  nats.reset();
  writes.reset();
  credentials.reset();
  audit.reset();
  registration_policy.reset();
  storage.reset();
}

bool Hub::running() const {
  return impl_->server != nullptr;
}
uint16_t Hub::port() const {
  return impl_->server ? impl_->server->port() : 0;
}
std::string Hub::url() const {
  const std::string& host = impl_->options.manifest.listen.host;
  const bool ipv6 = host.find(':') != std::string::npos;
  return std::string(impl_->options.manifest.security.tls.enabled() ? "https://" : "http://") + (ipv6 ? "[" + host + "]" : host) + ":" +
         std::to_string(port());
}

void Hub::reload_certificates() {
  std::lock_guard lock(impl_->lifecycle);
  if (!impl_->server) return;
  if (!impl_->server->tls()) return impl_->logger->info("asked to reload the TLS certificate, but this hub has no tls section");
  impl_->server->reload_certificates();
  impl_->logger->info("reloaded the TLS certificate and key; connections made from now on use them");
}
const Manifest& Hub::manifest() const {
  return impl_->options.manifest;
}
Metrics& Hub::metrics() {
  return *impl_->metrics;
}
EventBus& Hub::events() {
  return impl_->events;
}

int Hub::run_liveness_pass() {
  std::lock_guard lock(impl_->lifecycle);
  return impl_->liveness ? impl_->liveness->run_pass() : 0;
}

int Hub::run_health_checks() {
  if (!impl_->monitor) throw std::logic_error("health monitoring is not enabled in this deployment");
  return impl_->monitor->run_due_checks();
}

void Hub::flush_heartbeats() {
  std::lock_guard lock(impl_->lifecycle);
  if (impl_->registry) impl_->registry->flush_heartbeats();
}

const PluginInstance* Hub::instance(const std::string& id) const {
  for (const auto& instance : impl_->plugins.instances())
    if (instance->id() == id) return instance.get();
  return nullptr;
}

std::shared_ptr<http::Router> Hub::Impl::routes() {
  auto router = std::make_shared<http::Router>();
  router->add("GET", "/health", [this](const http::Request& request) { return health(request); });
  router->add(
      "GET", "/plugins", [this](const http::Request& request) { return plugin_list(request); }, http::Runs::on_io_thread);
  add_registry_routes(*router, registry.get(), balancer.get(), *registration_policy);
  add_balancing_routes(*router, balancer.get(), circuits.get(), clock);
  add_liveness_routes(*router, liveness.get());
  config::add_config_routes(*router, *configs);
  add_deployment_routes(*router, rollouts.get(), directives.get());
  add_snapshot_routes(*router, *storage, *clock, HUB_VERSION, [this](const StoredState& state) { return restore_snapshot(state); });
  add_health_routes(*router, monitor.get(), registry.get(), *clock, backup_jobs.get());
  add_backup_routes(*router, *backup_jobs, *clock);
  add_error_routes(*router, *error_groups, options.manifest.errors);
  add_performance_routes(*router, *performance);
  add_cluster_routes(*router,
                     ClusterView{storage.get(), membership.get(), follower.get(), [this] { return self(); }, {"liveness", "backups"}});
  router->add("GET", "/metrics", [this](const http::Request&) {
    scrape();
    return http::Response{200, "text/plain; version=0.0.4; charset=utf-8", metrics->prometheus_text()};
  });
  add_token_routes(*router, credentials.get());
  add_audit_routes(*router, *audit);
  add_event_routes(*router, events, options.manifest.security.auth == SecuritySettings::Auth::required);
  add_ui_routes(*router);
  guard_routes(*router, options.manifest.security, credentials.get(), audit);
  return router;
}

http::Response Hub::Impl::health(const http::Request& request) {
  api::v1::HealthResponse body;
  const ComponentStatus store = storage->check();
  auto* storage_health = body.mutable_storage();
  storage_health->set_name(storage->backend());
  storage_health->set_status(store.status);
  storage_health->set_message(store.message);
  storage_health->set_latency_ms(store.latency_ms);
  const std::map<std::string, std::string> problems = monitor ? monitor->probe_problems() : std::map<std::string, std::string>{};
  bool plugins_healthy = true;
  const auto note = [](api::v1::PluginHealth& plugin, const std::string& text) {
    plugin.set_message(plugin.message() + (plugin.message().empty() ? "" : "; ") + text);
  };
  for (const auto& library : plugins.libraries()) {
    auto* plugin = body.add_plugins();
    plugin->set_name(library->name());
    plugin->set_file(library->file());
    plugin->set_status("loaded");
    plugin->set_isolation("in_process");
    if (const isolation::PluginProcess* process = plugins.process_of(*library)) {
      plugin->set_isolation("process");
      if (const std::string problem = process->problem(); !problem.empty()) {
        plugin->set_status("degraded");
        note(*plugin, problem);
        plugins_healthy = false;
      } else if (const std::string history = process->history(); !history.empty()) {
        note(*plugin, history);
      }
    }
    for (const auto& instance : plugins.instances()) {
      if (&instance->library() != library.get()) continue;
      plugin->add_instances(instance->id());
      if (auto problem = problems.find(instance->id()); problem != problems.end()) {
        plugin->set_status("degraded");
        note(*plugin, problem->second);
        plugins_healthy = false;
      }
    }
  }
  if (follower) {
    auto* cluster = body.mutable_cluster();
    cluster->set_hub_id(storage->hub_id());
    cluster->set_applied_revision(follower->applied());
    cluster->set_latest_revision(follower->latest());
    cluster->set_lag(std::max<int64_t>(0, follower->latest() - follower->applied()));
    cluster->set_liveness_leader(liveness_leader.load());
    cluster->set_hubs(membership ? static_cast<uint32_t>(membership->members().size()) : 1);
    if (monitor) {
      const auto [owned, known] = monitor->owned_targets();
      cluster->set_checks_owned(static_cast<uint32_t>(owned));
      cluster->set_checks_known(static_cast<uint32_t>(known));
    }
  }
  bool events_healthy = true;
  if (nats) {
    const ComponentStatus link = nats->status();
    auto* entry = body.add_events();
    entry->set_name("nats");
    entry->set_status(link.status);
    entry->set_message(link.message);
    events_healthy = link.status == "healthy";
  }
  bool liveness_healthy = true;
  if (liveness) {
    to_proto(*liveness, *body.mutable_liveness());
    liveness_healthy = body.liveness().state() != "suspended";
  }
  // Storage down fails the hub; events or a plugin down, or liveness suspended, only degrade it: reads and writes still work.
  const bool healthy = store.status == "healthy";
  body.set_status(!healthy ? "down" : events_healthy && plugins_healthy && liveness_healthy ? "healthy" : "degraded");
  body.set_version(HUB_VERSION);
  body.set_deployment(options.manifest.name);
  body.set_uptime_seconds(static_cast<uint32_t>((clock->monotonic_us() - started_us) / 1'000'000));
  // Anyone may ask whether the hub is up; only a caller with a credential learns its storage's
  // location, its plugins' files and its links.
  if (options.manifest.security.auth == SecuritySettings::Auth::required && !request.caller) {
    body.mutable_storage()->clear_message();
    body.clear_plugins();
    body.clear_events();
    body.clear_liveness();
  }
  return http::encode(request, body, healthy ? 200 : 503);
}

http::Response Hub::Impl::plugin_list(const http::Request& request) const {
  api::v1::PluginsResponse body;
  body.set_host_abi_version(version_string(HUB_PLUGIN_ABI_VERSION));
  for (const auto& library : plugins.libraries()) {
    auto* plugin = body.add_plugins();
    plugin->set_name(library->name());
    plugin->set_file(library->file());
    plugin->set_version(library->version());
    plugin->set_abi_version(version_string(library->abi_version()));
    plugin->set_description(library->description());
    std::vector<std::string> kinds;
    const hub_plugin_descriptor& descriptor = library->descriptor();
    for (size_t i = 0; i < descriptor.implementation_count; ++i) {
      const hub_implementation& implementation = descriptor.implementations[i];
      auto* entry = plugin->add_implementations();
      entry->set_name(implementation.name);
      entry->set_kind(kind_name(implementation.kind));
      if (std::find(kinds.begin(), kinds.end(), entry->kind()) == kinds.end()) kinds.push_back(entry->kind());
    }
    for (const std::string& kind : kinds) plugin->add_kinds(kind);
    for (const auto& instance : plugins.instances()) {
      if (&instance->library() != library.get()) continue;
      auto* entry = plugin->add_instances();
      entry->set_id(instance->id());
      entry->set_implementation(instance->implementation());
      entry->set_kind(kind_name(instance->kind()));
    }
  }
  return http::encode(request, body);
}

void check_manifest(const Manifest& manifest, const std::vector<StaticPlugin>& static_plugins) {
  PluginSet plugins;
  auto logger = make_logger(manifest.logging, "check");
  plugins.load(manifest, static_plugins, plugin_services(std::make_shared<SystemClock>(), std::make_shared<Metrics>(), logger));
  check_references(manifest, plugins);
}

}  // namespace hub
