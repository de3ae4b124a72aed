#include "health_monitor.hpp"

#include "basics/time_text.hpp"

#include <hub/errors.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <functional>

namespace hub {

namespace {

constexpr size_t kRecentAlerts = 200;
constexpr size_t kLatenessSamples = 10'000;
constexpr size_t kMaxPendingRows = 100'000;
constexpr int64_t kSyncEveryUs = 1'000'000;
constexpr int64_t kPruneEveryUs = 3'600'000'000;
constexpr int64_t kMaxFirstSpreadUs = 10'000'000;

Health health_named(const std::string& name) {
  if (name == "healthy") return Health::healthy;
  if (name == "degraded") return Health::degraded;
  return name == "down" ? Health::down : Health::unknown;
}

Health health_of(hub_health status) {
  switch (status) {
    case HUB_HEALTH_HEALTHY:
      return Health::healthy;
    case HUB_HEALTH_DEGRADED:
      return Health::degraded;
    default:
      return Health::down;  // a probe that cannot say is not a passing check
  }
}

double percentile(std::vector<double> values, double fraction) {
  if (values.empty()) return 0;
  const size_t index = std::min(values.size() - 1, static_cast<size_t>(fraction * static_cast<double>(values.size())));
  std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(index), values.end());
  return values[index];
}

}  // namespace

struct HealthMonitor::Target {
  Target(int rise, int fall) : tracker(rise, fall) {}
  bool infrastructure = false;
  std::string name, instance_id;
  const PluginInstance* probe = nullptr;
  CheckTarget target;
  int64_t interval_us = 0;
  std::chrono::milliseconds timeout{0};
  int64_t degraded_latency_us = 0;  // 0: off
  int64_t next_due_us = 0;
  bool in_flight = false;
  bool present = true;  // false once its instance left the registry
  bool latency_alerted = false;
  bool owned = true;                // this hub runs its checks
  uint64_t ownership_epoch = 0;     // the ownership `owned` was asked of
  Health stored = Health::unknown;  // services: the status the registry holds, whoever checked it
  HealthTracker tracker;
  std::deque<CheckRecord> history;
};

std::string Alert::json() const {
  nlohmann::json out = {{"type", type},
                        {"name", name},
                        {"status", status},
                        {"previous_status", previous_status},
                        {"message", message},
                        {"latency_ms", latency_ms},
                        {"at", rfc3339_utc(at_unix_us)}};
  if (!instance_id.empty()) out["instance_id"] = instance_id;
  return out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);  // never throws on a peer's bytes
}

HealthMonitor::HealthMonitor(HealthMonitoringSettings settings, std::map<std::string, const PluginInstance*> probes,
                             std::shared_ptr<Clock> clock, Registry* registry, HealthStore& store, EventBus& events, Metrics& metrics,
                             std::shared_ptr<spdlog::logger> logger)
    : settings_(std::move(settings)),
      probes_(std::move(probes)),
      clock_(std::move(clock)),
      registry_(registry),
      store_(store),
      events_(events),
      metrics_(metrics),
      logger_(std::move(logger)) {
  metrics_.describe("hub_health_check_seconds", Metrics::Type::summary,
                    "Health checks run and their latency in seconds, by kind of target.");
  metrics_.describe("hub_alerts_total", Metrics::Type::counter, "Alerts raised, by type.");
  // check_references() made sure every probe named exists.
  add_infrastructure();
  hub_events_ = events_.subscribe([this](const Event& event) { on_hub_event(event); },
                                  {"plugin.crashed", "liveness.", "circuit.", "instance.ejected", "deployment.rolling_back",
                                   "deployment.failed", "deployment.rolled_back", "deployment.aborted", "backup.failed", "errors."});
}

HealthMonitor::~HealthMonitor() {
  events_.unsubscribe(hub_events_);
  stop();
}

namespace {

// A circuit's state as the status an alert carries: open is down, half open degraded.
std::string circuit_health(const std::string& state) {
  if (state == "OPEN" || state == "FORCED_OPEN") return "down";
  return state == "HALF_OPEN" ? "degraded" : "healthy";
}

// A rollout rolling back leaves its service degraded until it ends; a failed one (its rollback
// stalled) leaves it down until an operator acts.
std::string deployment_health(const std::string& topic) {
  if (topic == "deployment.failed") return "down";
  return topic == "deployment.rolling_back" ? "degraded" : "healthy";
}

}  // namespace

// The hub's own trouble, raised as alerts to the same places as every other: an isolated plugin's
// process died, or the mass-expiry guard holds expiries (and lets them go again).
void HealthMonitor::on_hub_event(const Event& hub_event) {
  const nlohmann::json event = nlohmann::json::parse(hub_event.json, nullptr, /*allow_exceptions=*/false);
  if (!event.is_object()) return;
  std::lock_guard lock(mutex_);
  if (stopping_) return;
  const std::string message = event.value("message", "");
  const int64_t now = clock_->now_unix_us();
  if (hub_event.topic == "plugin.crashed")
    raise({"plugin_crashed", event.value("library", ""), "", "down", "healthy", message, 0, now});
  else if (hub_event.topic == "liveness.suspended")
    raise({"liveness_suspended", "liveness", "", "degraded", "healthy", message, 0, now});
  else if (hub_event.topic == "liveness.resumed")
    raise({"liveness_resumed", "liveness", "", "healthy", "degraded", message, 0, now});
  else if (hub_event.topic.starts_with("circuit."))
    raise({"circuit_" + hub_event.topic.substr(8), event.value("service", ""), "", circuit_health(event.value("to", "")),
           circuit_health(event.value("from", "")), message, 0, now});
  else if (hub_event.topic == "instance.ejected")
    raise({"instance_ejected", event.value("service", ""), event.value("instance_id", ""), "degraded", "healthy", message, 0, now});
  else if (hub_event.topic == "backup.failed")
    raise({"backup_failed", event.value("job", ""), "", "down", "healthy", message, 0, now});
  else if (hub_event.topic == "errors.new")
    raise({"new_error", event.value("service", ""), "", "degraded", "healthy", message, 0, now});
  else if (hub_event.topic == "errors.spike")
    raise({"error_spike", event.value("service", ""), "", "degraded", "healthy", message, 0, now});
  else if (hub_event.topic == "errors.spike_ended")
    raise({"error_spike_ended", event.value("service", ""), "", "healthy", "degraded", message, 0, now});
  else if (hub_event.topic.starts_with("deployment."))
    raise({"deployment_" + hub_event.topic.substr(11), event.value("service", ""), "", deployment_health(hub_event.topic), "healthy",
           message, 0, now});
}

void HealthMonitor::add_infrastructure() {
  const int64_t now = clock_->monotonic_us();
  for (const InfrastructureTarget& component : settings_.infrastructure) {
    auto target = std::make_unique<Target>(settings_.rise, settings_.fall);
    target->infrastructure = true;
    target->name = component.name;
    target->probe = probes_.at(component.probe);
    target->target = {component.name, component.host, component.port, component.endpoint, component.attributes};
    target->interval_us = int64_t{component.interval_seconds ? component.interval_seconds : settings_.check_interval_seconds} * 1'000'000;
    target->timeout = std::chrono::milliseconds(component.timeout_ms ? component.timeout_ms : settings_.timeout_ms);
    target->degraded_latency_us =
        int64_t{component.degraded_latency_ms >= 0 ? component.degraded_latency_ms : settings_.degraded_latency_ms} * 1000;
    target->next_due_us = now;  // infrastructure is checked at once: an operator starting the hub wants to know
    targets_["infrastructure/" + component.name] = std::move(target);
  }
}

void HealthMonitor::start(bool scheduler_thread) {
  runner_ = std::make_unique<ProbeRunner>(settings_.max_concurrent_checks, settings_.max_stuck_threads, logger_);
  if (!settings_.webhooks.empty()) webhooks_ = std::make_unique<WebhookSender>(settings_.webhooks, metrics_, logger_);
  if (scheduler_thread) scheduler_ = std::thread([this] { scheduler_loop(); });
}

std::vector<const PluginInstance*> HealthMonitor::stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return {};
    stopping_ = true;
  }
  wake_.notify_all();
  if (scheduler_.joinable()) scheduler_.join();
  if (claimer_.joinable()) claimer_.join();
  std::vector<const PluginInstance*> stuck;
  if (runner_) {
    std::chrono::milliseconds longest{settings_.timeout_ms};
    for (const InfrastructureTarget& component : settings_.infrastructure)
      longest = std::max(longest, std::chrono::milliseconds(component.timeout_ms));
    stuck = runner_->stop(longest + std::chrono::seconds(1));
  }
  std::unique_ptr<WebhookSender> webhooks;
  {
    std::lock_guard lock(mutex_);
    webhooks.swap(webhooks_);  // raise() reads it under the lock
  }
  return stuck;
}

void HealthMonitor::sync_instances() {
  if (!registry_ || settings_.service_probe.empty()) return;
  const int64_t now = clock_->monotonic_us();
  {
    std::lock_guard lock(mutex_);
    if (last_sync_us_ != INT64_MIN && now - last_sync_us_ < kSyncEveryUs) return;
    last_sync_us_ = now;
  }
  const std::vector<InstanceRecord> instances = registry_->instances();
  std::lock_guard lock(mutex_);
  for (auto& [key, target] : targets_)
    if (!target->infrastructure) target->present = false;
  const int64_t interval = int64_t{settings_.check_interval_seconds} * 1'000'000;
  for (const InstanceRecord& record : instances) {
    if (record.health_endpoint.empty()) continue;
    const std::string key = "service/" + record.service_name + "/" + record.instance_id;
    auto& target = targets_[key];
    if (!target) {
      target = std::make_unique<Target>(settings_.rise, settings_.fall);
      target->name = record.service_name;
      target->instance_id = record.instance_id;
      target->probe = probes_.at(settings_.service_probe);
      target->interval_us = interval;
      target->timeout = std::chrono::milliseconds(settings_.timeout_ms);
      target->degraded_latency_us = int64_t{settings_.degraded_latency_ms} * 1000;
      // New instances spread their first check, so a thousand registering at once are not checked at once.
      target->next_due_us =
          now + static_cast<int64_t>(std::hash<std::string>{}(key) % static_cast<size_t>(std::min(interval, kMaxFirstSpreadUs)));
    }
    target->present = true;
    target->stored = health_named(record.status);
    target->target = {record.service_name, record.host, record.port, record.health_endpoint, {{"protocol", record.protocol}}};
  }
  std::erase_if(targets_, [](const auto& entry) { return !entry.second->present && !entry.second->in_flight; });
}

int HealthMonitor::dispatch_due() {
  std::vector<ProbeRunner::Job> jobs;
  {
    std::lock_guard lock(mutex_);
    if (stopping_ || !runner_) return 0;
    const int64_t now = clock_->monotonic_us();
    for (auto& [key, target] : targets_) {
      if (in_flight_ >= settings_.max_concurrent_checks) break;
      if (target->in_flight || !target->present || !owned_now(key, *target, now) || target->next_due_us > now) continue;
      const double late_ms = static_cast<double>(now - target->next_due_us) / 1000.0;
      lateness_ms_.push_back(late_ms);
      if (lateness_ms_.size() > kLatenessSamples) lateness_ms_.pop_front();
      lateness_max_ms_ = std::max(lateness_max_ms_, late_ms);
      target->next_due_us += target->interval_us;
      if (target->next_due_us <= now) target->next_due_us = now + target->interval_us;  // fell behind: no burst to catch up
      target->in_flight = true;
      ++in_flight_;
      ++checks_;
      jobs.push_back(
          {target->probe, target->target, target->timeout, [this, key = key](ProbeOutcome outcome) { on_outcome(key, outcome); }});
    }
  }
  for (ProbeRunner::Job& job : jobs) runner_->submit(std::move(job));
  return static_cast<int>(jobs.size());
}

// Called with mutex_ held.
bool HealthMonitor::owned_now(const std::string& key, Target& target, int64_t now) {
  if (!ownership_ || target.ownership_epoch == ownership_->epoch) return target.owned;
  target.ownership_epoch = ownership_->epoch;
  const bool owned = ownership_->owner(key) == ownership_->self;
  if (owned && !target.owned) {
    // Taken over from a hub that left: at once, since its last check may be an interval old.
    if (!target.infrastructure && target.stored != Health::unknown) target.tracker.assume(target.stored);
    target.next_due_us = now;
  }
  target.owned = owned;
  return owned;
}

void HealthMonitor::share_checks(std::shared_ptr<const CheckOwnership> ownership) {
  {
    std::lock_guard lock(mutex_);
    ownership_ = std::move(ownership);
  }
  wake_.notify_all();
}

std::pair<size_t, size_t> HealthMonitor::owned_targets() const {
  std::lock_guard lock(mutex_);
  size_t owned = 0;
  for (const auto& [key, target] : targets_) {
    // What the scheduler decided under this ownership; hashed afresh only for a target it has not looked at since.
    const bool current = !ownership_ || target->ownership_epoch == ownership_->epoch;
    owned += (current ? target->owned : ownership_->owner(key) == ownership_->self) ? 1 : 0;
  }
  return {owned, targets_.size()};
}

void HealthMonitor::on_outcome(const std::string& key, const ProbeOutcome& outcome) {
  // The check counts as in flight until its verdict reached the registry: run_due_checks() waits for that.
  struct Landed {
    HealthMonitor& monitor;
    ~Landed() {
      std::lock_guard lock(monitor.mutex_);
      --monitor.in_flight_;
      monitor.idle_.notify_all();
    }
  } landed{*this};
  CheckRecord record{health_of(outcome.status), static_cast<double>(outcome.latency_us) / 1000.0, outcome.message, clock_->now_unix_us()};
  std::optional<HealthTransition> transition;
  std::string name, instance_id;
  bool infrastructure = false;
  bool slow = false;
  Health confirmed = Health::unknown;
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    auto found = targets_.find(key);
    if (found == targets_.end()) return;
    Target& target = *found->second;
    target.in_flight = false;
    if (!target.present) {
      targets_.erase(found);
      return;
    }
    if (record.status == Health::healthy && target.degraded_latency_us && outcome.latency_us > target.degraded_latency_us) {
      slow = true;
      record.status = Health::degraded;
      record.message += (record.message.empty() ? "" : "; ") + std::string("latency ") + std::to_string(outcome.latency_us / 1000) +
                        " ms is over the " + std::to_string(target.degraded_latency_us / 1000) + " ms threshold";
    }
    target.history.push_back(record);
    if (target.history.size() > static_cast<size_t>(settings_.history_size)) target.history.pop_front();
    transition = target.tracker.observe(record.status);
    if (pending_rows_.size() < kMaxPendingRows)
      pending_rows_.push_back(
          {target.infrastructure, target.name, health_name(record.status), record.latency_ms, record.message, record.at_unix_us});
    name = target.name;
    instance_id = target.instance_id;
    infrastructure = target.infrastructure;
    if (transition) {
      alert_on(target, *transition, record);
      target.latency_alerted = transition->to == Health::degraded && slow;
    }
    confirmed = target.tracker.confirmed();
  }
  metrics_.observe("hub_health_check_seconds", record.latency_ms / 1000.0, {{"target", infrastructure ? "infrastructure" : "service"}});
  // Every result, not only transitions: a re-registered instance starts without a verdict.
  if (!infrastructure && registry_ && confirmed != Health::unknown) {
    try {
      registry_->set_probe_status(name, instance_id, health_name(confirmed));
    } catch (const StorageError& error) {
      logger_->warn("health of {}/{} not stored, retried on its next check: {}", name, instance_id, error.what());
    }
  }
}

void HealthMonitor::alert_on(const Target& target, const HealthTransition& transition, const CheckRecord& record) {
  const std::string kind = target.infrastructure ? "infrastructure" : "service";
  std::string type;
  if (transition.to == Health::down)
    type = kind + "_down";
  else if (transition.from == Health::down)
    type = kind + "_recovered";
  else if (transition.to == Health::degraded)
    type = record.message.find("ms threshold") != std::string::npos ? "latency_exceeded" : kind + "_degraded";
  else if (transition.from == Health::degraded)
    type = target.latency_alerted ? "latency_recovered" : kind + "_recovered";
  if (type.empty()) return;  // unknown -> healthy: the first check passing is no news
  raise({type, target.name, target.instance_id, health_name(transition.to), health_name(transition.from), record.message, record.latency_ms,
         record.at_unix_us});
}

namespace {

// Alerts every hub may raise from what it sees itself; the others are decided by one hub.
bool raised_by_every_hub(const std::string& type) {
  return type == "new_error" || type.starts_with("error_spike") || type.starts_with("circuit_") || type == "instance_ejected";
}

// The same alert from several hubs has the same key: a new error once for good, the others once per
// five minutes for their subject.
std::string claim_key(const Alert& alert) {
  const std::string subject = alert.type + "/" + alert.name + "/" + alert.instance_id;
  if (alert.type == "new_error") return subject + "/" + alert.message;
  return subject + "/" + std::to_string(alert.at_unix_us / 300'000'000);
}

constexpr size_t kMaxUnclaimed = 1000;

}  // namespace

void HealthMonitor::claim_alerts(std::function<bool(const std::string&)> claim) {
  std::lock_guard lock(mutex_);
  claim_ = std::move(claim);
  if (!claimer_.joinable()) claimer_ = std::thread([this] { claim_loop(); });
}

void HealthMonitor::claim_loop() {
  std::unique_lock lock(mutex_);
  while (true) {
    wake_.wait(lock, [&] { return stopping_ || !unclaimed_.empty(); });
    if (stopping_) return;
    Alert alert = std::move(unclaimed_.front());
    unclaimed_.pop_front();
    const auto claim = claim_;
    lock.unlock();
    bool first = true;
    try {
      first = claim(claim_key(alert));
    } catch (const std::exception& error) {  // storage away: twice is better than never
      logger_->warn("alert {} for {} sent without asking the other hubs: {}", alert.type, alert.name, error.what());
    }
    lock.lock();
    if (first && !stopping_) deliver(std::move(alert));
  }
}

// Called with mutex_ held; everything it calls must not block.
void HealthMonitor::raise(Alert alert) {
  if (claim_ && raised_by_every_hub(alert.type)) {
    if (unclaimed_.size() < kMaxUnclaimed) unclaimed_.push_back(std::move(alert));
    wake_.notify_all();
    return;
  }
  deliver(std::move(alert));
}

// Called with mutex_ held.
void HealthMonitor::deliver(Alert alert) {
  const std::string json = alert.json();
  const std::string subject = alert.instance_id.empty() ? alert.name : alert.name + "/" + alert.instance_id;
  if (alert.status == "healthy")
    logger_->info("alert {}: {} is {} again ({})", alert.type, subject, alert.status, alert.message);
  else
    logger_->warn("alert {}: {} is {}, was {}: {}", alert.type, subject, alert.status, alert.previous_status, alert.message);
  metrics_.counter_add("hub_alerts_total", 1, {{"type", alert.type}});
  events_.publish({"alert." + alert.type, json, alert.at_unix_us});
  if (webhooks_) webhooks_->send(json);
  alerts_.push_back(std::move(alert));
  if (alerts_.size() > kRecentAlerts) alerts_.pop_front();
}

void HealthMonitor::scheduler_loop() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    lock.unlock();
    sync_instances();
    dispatch_due();
    lock.lock();
    // Sleep until the earliest due check, at most 250 ms: new instances and a changed clock are seen soon.
    int64_t wait_us = 250'000;
    const int64_t now = clock_->monotonic_us();
    for (const auto& [key, target] : targets_)
      if (!target->in_flight && target->owned) wait_us = std::min(wait_us, std::max<int64_t>(target->next_due_us - now, 1000));
    wake_.wait_for(lock, std::chrono::microseconds(wait_us), [&] { return stopping_; });
  }
}

int HealthMonitor::run_due_checks() {
  {
    std::lock_guard lock(mutex_);
    last_sync_us_ = INT64_MIN;  // see registrations at once
  }
  sync_instances();
  const int dispatched = dispatch_due();
  std::unique_lock lock(mutex_);
  if (!idle_.wait_for(lock, std::chrono::seconds(60), [&] { return in_flight_ == 0; }))
    throw std::runtime_error("health checks still in flight after 60 s");
  return dispatched;
}

void HealthMonitor::flush() {
  std::vector<HealthRow> rows;
  const int64_t now_mono = clock_->monotonic_us();
  bool prune = false;
  {
    std::lock_guard lock(mutex_);
    rows.swap(pending_rows_);
    prune = last_prune_us_ == INT64_MIN || now_mono - last_prune_us_ >= kPruneEveryUs;
  }
  if (!rows.empty()) {
    try {
      store_.save_health_rows(rows);
    } catch (...) {
      std::lock_guard lock(mutex_);
      rows.insert(rows.end(), pending_rows_.begin(), pending_rows_.end());
      if (rows.size() > kMaxPendingRows)
        rows.erase(rows.begin(), rows.begin() + static_cast<std::ptrdiff_t>(rows.size() - kMaxPendingRows));
      pending_rows_.swap(rows);
      throw;
    }
  }
  if (prune) {
    store_.prune_health_rows(clock_->now_unix_us() - int64_t{settings_.retention_days} * 86'400'000'000);
    std::lock_guard lock(mutex_);
    last_prune_us_ = now_mono;
  }
}

std::vector<TargetHealth> HealthMonitor::targets(bool infrastructure, const std::string& name) const {
  std::lock_guard lock(mutex_);
  std::vector<TargetHealth> result;
  for (const auto& [key, target] : targets_) {
    if (target->infrastructure != infrastructure || !target->present || (!name.empty() && target->name != name)) continue;
    TargetHealth& view = result.emplace_back();
    view.infrastructure = target->infrastructure;
    view.name = target->name;
    view.instance_id = target->instance_id;
    // Another hub checks it: the registry holds that hub's verdict.
    view.status = target->owned || target->infrastructure ? target->tracker.confirmed() : target->stored;
    if (ownership_) view.checked_by = ownership_->owner(key);
    if (!target->history.empty()) view.last = target->history.back();
    if (!name.empty()) view.history.assign(target->history.begin(), target->history.end());
  }
  return result;
}

std::map<std::string, std::string> HealthMonitor::probe_problems() const {
  std::map<std::string, std::string> problems;
  if (!runner_) return problems;
  for (const auto& [id, count] : runner_->stuck_probes())
    problems[id] = "probe '" + id + "': " + std::to_string(count) + " check(s) stuck inside check() past their deadline";
  return problems;
}

std::vector<Alert> HealthMonitor::recent_alerts() const {
  std::lock_guard lock(mutex_);
  return {alerts_.begin(), alerts_.end()};
}

SchedulerStats HealthMonitor::stats() const {
  std::vector<double> lateness;
  SchedulerStats stats;
  {
    std::lock_guard lock(mutex_);
    stats.targets = targets_.size();
    stats.checks = checks_;
    stats.in_flight = in_flight_;
    stats.lateness_max_ms = lateness_max_ms_;
    lateness.assign(lateness_ms_.begin(), lateness_ms_.end());
  }
  stats.stuck_threads = runner_ ? runner_->stuck_threads() : 0;
  stats.lateness_p50_ms = percentile(lateness, 0.50);
  stats.lateness_p99_ms = percentile(lateness, 0.99);
  return stats;
}

}  // namespace hub
