#include "deployments.hpp"

#include "basics/json_text.hpp"
#include "basics/printable_text.hpp"
#include "basics/service_name.hpp"
#include "basics/time_text.hpp"

#include <hub/errors.hpp>

#include <pthread.h>

#include <algorithm>
#include <array>
#include <random>

namespace hub::deployments {

namespace {

constexpr const char* kHub = "hub";
constexpr size_t kMaxVersionLength = 100;
// The request's keys the engine reads itself; every other key is the strategy's.
const std::set<std::string> kOwnKeys{
    "service", "service_name", "version", "from_version", "strategy", "batch_size", "progress_deadline_seconds", "gates", "config"};

hub_health health_of(const std::string& status) {
  if (status == "healthy") return HUB_HEALTH_HEALTHY;
  if (status == "degraded") return HUB_HEALTH_DEGRADED;
  return status == "down" ? HUB_HEALTH_DOWN : HUB_HEALTH_UNKNOWN;
}

hub_str str(const std::string& text) {
  return {text.data(), text.size()};
}

std::string text_of(hub_str text) {
  return text.len && text.ptr ? std::string(text.ptr, text.len) : std::string();
}

std::string new_id() {
  thread_local std::mt19937_64 random{std::random_device{}()};
  char text[24];
  std::snprintf(text, sizeof text, "dep-%016llx", static_cast<unsigned long long>(random()));
  return text;
}

// The strategy's parameters flattened as a config section is ("steps.0.weight").
void flatten(const Json& value, const std::string& prefix, std::vector<std::pair<std::string, std::string>>& out) {
  if (value.is_object()) {
    for (const auto& [key, child] : value.items()) flatten(child, prefix.empty() ? key : prefix + "." + key, out);
  } else if (value.is_array()) {
    for (size_t i = 0; i < value.size(); ++i) flatten(value[i], prefix + "." + std::to_string(i), out);
  } else if (value.is_string()) {
    out.emplace_back(prefix, value.get<std::string>());
  } else if (value.is_null()) {
    out.emplace_back(prefix, "");
  } else {
    out.emplace_back(prefix, value.dump());
  }
}

std::string action_name(hub_rollout_action_type type) {
  static constexpr std::array<std::string_view, 11> kNames{"drain",     "upgrade", "restore",    "wait",      "promote", "pause",
                                                           "roll_back", "done",    "set_weight", "next_step", "retire"};
  if (type < 0 || static_cast<size_t>(type) >= kNames.size()) return "action " + std::to_string(type);
  return std::string(kNames[static_cast<size_t>(type)]);
}

Status invalid(const std::string& message) {
  return {Code::invalid_argument, message};
}

// The gates of a request, over the hub's defaults; a problem names the key.
Status read_gates(const Json& json, GateSettings& gates) {
  if (!json.is_object()) return invalid("gates: must be an object");
  for (const auto& [key, value] : json.items()) {
    const auto number = [&](double min, double max, auto& into) -> Status {
      if (!value.is_number() || value.get<double>() < min || value.get<double>() > max)
        return invalid("gates." + key + ": must be a number from " + Json(min).dump() + " to " + Json(max).dump());
      into = static_cast<std::remove_reference_t<decltype(into)>>(value.get<double>());
      return {};
    };
    Status problem;
    if (key == "healthy_seconds")
      problem = number(0, 86'400, gates.healthy_seconds);
    else if (key == "min_calls")
      problem = number(1, 1e9, gates.min_calls);
    else if (key == "max_error_rate_increase")
      problem = number(0, 100, gates.max_error_rate_increase);
    else if (key == "max_error_rate")
      problem = number(0, 100, gates.max_error_rate);
    else if (key == "max_failures")
      problem = number(1, 1e9, gates.max_failures);
    else if (key == "max_latency_ratio")
      problem = number(1, 1000, gates.max_latency_ratio);
    else if (key == "min_latency_increase_ms")
      problem = number(0, 3'600'000, gates.min_latency_increase_ms);
    else if (key == "max_new_error_events")
      problem = number(0, 1e9, gates.max_new_error_events);
    else if (key == "require_calls") {
      if (!value.is_boolean()) return invalid("gates.require_calls: must be true or false");
      gates.require_calls = value.get<bool>();
    } else {
      return invalid("gates." + key +
                     ": unknown; the gates are healthy_seconds, min_calls, max_error_rate_increase, max_error_rate, "
                     "max_failures, max_latency_ratio, min_latency_increase_ms, require_calls, max_new_error_events");
    }
    if (problem) return problem;
  }
  return {};
}

Status read_version(const Json& request, const char* key, bool required, std::string& out) {
  auto found = request.find(key);
  if (found == request.end() || found->is_null()) {
    if (required) return invalid(std::string(key) + ": required");
    return {};
  }
  if (!found->is_string() || found->get<std::string>().empty() || found->get<std::string>().size() > kMaxVersionLength ||
      !is_printable_text(found->get<std::string>()))
    return invalid(std::string(key) + ": must be text of 1 to " + std::to_string(kMaxVersionLength) + " printable characters");
  out = found->get<std::string>();
  return {};
}

// What the strategy is shown of each of `members`; the views borrow their strings.
std::vector<hub_rollout_instance> instance_views(const Rollout& rollout,
                                                 const std::map<std::string, std::pair<std::string, int64_t>>& healthy_since,
                                                 const std::vector<InstanceRecord>& members, int64_t now_us) {
  const std::string& target = rollout.target_version();
  std::vector<hub_rollout_instance> instances;
  for (const InstanceRecord& record : members) {
    hub_rollout_instance view{
        sizeof(hub_rollout_instance), str(record.instance_id), str(record.version), health_of(record.status), 0, 0, 0, 0};
    if (auto held = rollout.held.find(record.instance_id); held != rollout.held.end()) {
      view.draining = 1;
      view.draining_for_us = now_us - held->second;
    }
    if (auto since = healthy_since.find(record.instance_id); since != healthy_since.end() && record.status == "healthy")
      view.healthy_for_us = now_us - since->second.second;
    if (auto directed = rollout.directed.find(record.instance_id); directed != rollout.directed.end()) {
      const Directive& d = directed->second;
      view.directed =
          d.action == "retire" || (d.action == "upgrade" && d.version == target && record.version != d.version && d.ack != "failed");
    }
    instances.push_back(view);
  }
  return instances;
}

// What the fleet looks like to the progress deadline: each instance's version, health and hold.
std::string fleet_mark(const Rollout& rollout, const std::vector<InstanceRecord>& fleet) {
  std::string mark;
  for (const InstanceRecord& record : fleet)
    mark += record.instance_id + "=" + record.version + (record.status == "healthy" ? "+" : "-") +
            (rollout.held.count(record.instance_id) ? "h;" : ";");
  return mark;
}

// Asks the strategy for the rollout's next step, with `instances` as its fleet and `verdict` as the
// gates'; the actions are the plugin's until the next call on `handle`.
hub_status next_step_of(PluginInstance& handle, const Rollout& rollout, const std::vector<hub_rollout_instance>& instances,
                        const GateVerdict& verdict, int64_t now_us, const hub_rollout_action*& actions, size_t& count) {
  std::vector<std::pair<std::string, std::string>> flat;
  flatten(rollout.params, "", flat);
  std::vector<hub_kv> params;
  for (const auto& [key, value] : flat) params.push_back({str(key), str(value)});
  const std::string params_json = rollout.params.dump();
  hub_rollout_state state{};
  state.struct_size = sizeof state;
  state.rollout_id = str(rollout.id);
  state.service = str(rollout.service);
  state.from_version = str(rollout.from_version);
  state.to_version = str(rollout.to_version);
  state.strategy = str(rollout.strategy);
  state.batch_size = rollout.batch_size;
  state.paused = rollout.phase == Phase::paused;
  state.started_unix_us = rollout.created_at_unix_us;
  state.now_unix_us = now_us;
  state.params_json = str(params_json);
  state.instances = instances.data();
  state.instance_count = instances.size();
  state.params = params.data();
  state.param_count = params.size();
  state.rolling_back = rollout.phase == Phase::rolling_back;
  state.promote_requested = rollout.promote_requested;
  state.step = rollout.step;
  state.step_started_unix_us = rollout.step_started_unix_us;
  state.weight_percent = rollout.weight_percent;
  state.gate = verdict.gate;
  state.gate_reason = str(verdict.reason);
  return handle.vtable<hub_deployment_coordinator_vtable>().next_step(handle.handle(), &state, &actions, &count);
}

}  // namespace

// What the engine knows of an active rollout and does not store: rebuilt after a restart from
// what it sees.
struct Deployments::Live {
  std::map<std::string, std::pair<std::string, int64_t>> healthy_since;  // instance -> (version, since)
  std::set<std::string> settled;                                         // new-version instances that were healthy for healthy_seconds
  GateVerdict verdict;
  int64_t next_at_us = 0;
  std::string progress_mark;      // what the fleet looked like at the last progress
  std::set<std::string> members;  // the instances the strategy was shown last
};

// What a committed change carries out afterwards.
struct Deployments::Effects {
  std::vector<Directive> directives;
  std::vector<std::pair<std::string, std::string>> topics;  // (topic, detail JSON members)
  bool config_apply = false, config_restore = false, ended = false;
};

Deployments::Deployments(Parts parts, DeploymentSettings settings, MakeCoordinator make_coordinator)
    : parts_(std::move(parts)), settings_(std::move(settings)), make_coordinator_(std::move(make_coordinator)) {}

Deployments::~Deployments() {
  stop();
}

void Deployments::start(std::chrono::milliseconds interval) {
  std::lock_guard lock(thread_mutex_);
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this, interval] {
    pthread_setname_np(pthread_self(), "hub-rollouts");
    run(interval);
  });
}

void Deployments::stop() {
  {
    std::lock_guard lock(thread_mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Deployments::run(std::chrono::milliseconds interval) {
  std::unique_lock lock(thread_mutex_);
  while (!stopping_) {
    wake_.wait_for(lock, interval, [this] { return stopping_ || poked_; });
    if (stopping_) break;
    poked_ = false;
    lock.unlock();
    try {
      tick();
    } catch (const std::exception& error) {
      parts_.logger->error("rollouts: a pass failed and will be tried again: {}", error.what());
    }
    lock.lock();
  }
}

void Deployments::restore() {
  const std::vector<RolloutRecord> records = parts_.store.load_rollouts();
  const int64_t now_us = parts_.clock->now_unix_us();
  std::lock_guard lock(mutex_);
  for (const RolloutRecord& record : records) {
    try {
      Rollout rollout = rollout_from_json(Json::parse(record.document));
      // The hub's own outage is not the rollout's lack of progress.
      if (active(rollout.phase)) rollout.progress_at_unix_us = std::max(rollout.progress_at_unix_us, now_us);
      rollouts_[rollout.id] = std::move(rollout);
    } catch (const std::exception& error) {
      parts_.logger->error("rollout {} of {} is not readable and is left as it is stored: {}", record.id, record.service, error.what());
    }
  }
  for (auto& [id, rollout] : rollouts_) {
    if (!active(rollout.phase)) continue;
    live_[id] = std::make_unique<Live>();
    for (const auto& [instance, directive] : rollout.directed) parts_.board.put(directive);
    reassert(rollout);
    {
      std::lock_guard tallies(tally_mutex_);
      tallies_[rollout.service] = {rollout.from_version, rollout.to_version, {}, {}, {}};
    }
    parts_.logger->info("resuming rollout {} of {} ({} -> {}, {})", id, rollout.service, rollout.from_version, rollout.to_version,
                        phase_name(rollout.phase));
  }
}

void Deployments::tick() {
  const int64_t now_us = parts_.clock->now_unix_us();
  std::lock_guard lock(mutex_);
  for (auto& [id, rollout] : rollouts_)
    if (active(rollout.phase)) advance(rollout, now_us);
}

// Puts the rollout's holds and split back in the balancers: they live in memory, and a service
// whose instances all restart loses nothing of them, but a restarted hub does.
void Deployments::reassert(const Rollout& rollout) {
  for (const auto& [instance, since] : rollout.held) parts_.balancer.hold(rollout.service, instance, true);
  if (rollout.weight_percent >= 0) parts_.balancer.set_split(rollout.service, rollout.to_version, rollout.weight_percent);
}

Rollout* Deployments::find(const std::string& id) {
  auto found = rollouts_.find(id);
  return found == rollouts_.end() ? nullptr : &found->second;
}
const Rollout* Deployments::find(const std::string& id) const {
  auto found = rollouts_.find(id);
  return found == rollouts_.end() ? nullptr : &found->second;
}
Rollout* Deployments::active_of(const std::string& service) {
  for (auto& [id, rollout] : rollouts_)
    if (rollout.service == service && active(rollout.phase)) return &rollout;
  return nullptr;
}

PluginInstance* Deployments::coordinator(const std::string& strategy) {
  auto& handle = coordinators_[strategy];
  if (!handle) handle = make_coordinator_(strategy);
  if (!handle) coordinators_.erase(strategy);
  auto found = coordinators_.find(strategy);
  return found == coordinators_.end() ? nullptr : found->second.get();
}

Status Deployments::create(const Json& request, const std::string& by, Json& answer) {
  if (!request.is_object()) return invalid("the body must be a JSON object");
  Rollout rollout;
  std::string name;
  for (const char* key : {"service", "service_name"}) {
    auto found = request.find(key);
    if (found == request.end()) continue;
    if (!found->is_string()) return invalid(std::string(key) + ": must be text");
    if (!name.empty() && name != found->get<std::string>()) return invalid("service and service_name disagree; send one of them");
    name = found->get<std::string>();
  }
  if (name.empty()) return invalid("service: required");
  if (std::string problem = validate_service_name("service", name); !problem.empty()) return invalid(problem);
  rollout.service = name;
  if (Status problem = read_version(request, "version", true, rollout.to_version)) return problem;
  if (Status problem = read_version(request, "from_version", false, rollout.from_version)) return problem;
  const Json strategy = request.value("strategy", Json("rolling"));
  if (!strategy.is_string() || strategy.get<std::string>().empty() || strategy.get<std::string>().size() > 100)
    return invalid("strategy: must be a strategy's name");
  rollout.strategy = strategy.get<std::string>();
  const auto integer = [&](const char* key, int64_t fallback, int64_t min, int64_t max, int64_t& out) -> Status {
    auto found = request.find(key);
    out = fallback;
    if (found == request.end()) return {};
    if (!found->is_number_integer() || found->get<int64_t>() < min || found->get<int64_t>() > max)
      return invalid(std::string(key) + ": must be a whole number from " + std::to_string(min) + " to " + std::to_string(max));
    out = found->get<int64_t>();
    return {};
  };
  int64_t batch = 1, deadline = settings_.progress_deadline_seconds;
  if (Status problem = integer("batch_size", 1, 1, 10'000, batch)) return problem;
  if (Status problem = integer("progress_deadline_seconds", deadline, 1, 7 * 86'400, deadline)) return problem;
  rollout.batch_size = static_cast<uint32_t>(batch);
  rollout.progress_deadline_seconds = static_cast<int>(deadline);
  rollout.gates = settings_.gates;
  if (auto gates = request.find("gates"); gates != request.end())
    if (Status problem = read_gates(*gates, rollout.gates)) return problem;
  if (auto config = request.find("config"); config != request.end() && !config->is_null()) {
    if (!config->is_object()) return invalid("config: must be a JSON object, the service's config to apply at promotion");
    rollout.config = *config;
  }
  for (const auto& [key, value] : request.items())
    if (!kOwnKeys.count(key)) rollout.params[key] = value;
  rollout.created_by = by;
  return launch(std::move(rollout), answer);
}

Status Deployments::launch(Rollout rollout, Json& answer) {
  std::lock_guard lock(mutex_);
  const std::optional<std::vector<InstanceRecord>> fleet = parts_.registry.service(rollout.service);
  if (!fleet || fleet->empty()) return {Code::not_found, "service \"" + rollout.service + "\" has no registered instance to roll out to"};
  if (rollout.from_version.empty()) {
    std::map<std::string, size_t> counts;
    for (const InstanceRecord& instance : *fleet) ++counts[instance.version];
    rollout.from_version =
        std::max_element(counts.begin(), counts.end(), [](const auto& a, const auto& b) { return a.second < b.second; })->first;
  }
  if (rollout.from_version == rollout.to_version)
    return invalid("version: \"" + rollout.to_version + "\" is what the service runs now (from_version); nothing to roll out");
  if (const Rollout* running = active_of(rollout.service))
    return {Code::already_exists,
            "service \"" + rollout.service + "\" has an active rollout, " + running->id + " (" + std::string(phase_name(running->phase)) +
                "): abort it or wait for it to end",
            "rollout_active"};
  if (Status problem = validate(rollout)) return problem;
  const int64_t now_us = parts_.clock->now_unix_us();
  rollout.id = new_id();
  rollout.created_at_unix_us = rollout.updated_at_unix_us = rollout.progress_at_unix_us = rollout.step_started_unix_us = now_us;
  rollout.record(now_us, "start", "",
                 rollout.strategy + " from " + rollout.from_version + " to " + rollout.to_version +
                     (rollout.retry_of.empty() ? "" : ", retrying " + rollout.retry_of),
                 rollout.created_by);
  try {
    parts_.store.save_rollout({rollout.id, rollout.service, std::string(phase_name(rollout.phase)), to_json(rollout).dump(),
                               rollout.created_at_unix_us, rollout.updated_at_unix_us});
  } catch (const std::exception& error) {
    return {Code::unavailable, std::string("the rollout was not stored, and does not run: ") + error.what(), "storage_unavailable"};
  }
  const std::string id = rollout.id;
  Rollout& stored = rollouts_[id] = std::move(rollout);
  live_[id] = std::make_unique<Live>();
  {
    std::lock_guard tallies(tally_mutex_);
    tallies_[stored.service] = {stored.from_version, stored.to_version, {}, {}, {}};
  }
  publish("deployment.started", stored);
  answer = view(stored);
  {
    std::lock_guard wake(thread_mutex_);
    poked_ = true;
  }
  wake_.notify_all();
  return {};
}

// A first question to the strategy before the rollout is accepted: a parameter it refuses refuses
// the rollout, and nothing is stored.
Status Deployments::validate(Rollout& rollout) {
  PluginInstance* handle = nullptr;
  try {
    handle = coordinator(rollout.strategy);
  } catch (const std::exception& error) {
    return {Code::internal, "strategy \"" + rollout.strategy + "\" could not be made: " + error.what()};
  }
  if (!handle) {
    std::string known = "rolling, canary, blue_green";
    for (const auto& [name, id] : settings_.strategies) known += ", " + name;
    return invalid("strategy: \"" + rollout.strategy + "\" is none of " + known);
  }
  const std::vector<InstanceRecord> fleet = parts_.registry.service(rollout.service).value_or(std::vector<InstanceRecord>{});
  std::vector<hub_rollout_instance> instances;  // borrows fleet's strings
  for (const InstanceRecord& record : fleet)
    instances.push_back({sizeof(hub_rollout_instance), str(record.instance_id), str(record.version), health_of(record.status), 0, 0, 0, 0});
  const hub_rollout_action* actions = nullptr;
  size_t count = 0;
  const hub_status status = next_step_of(*handle, rollout, instances, {}, parts_.clock->now_unix_us(), actions, count);
  if (status == HUB_OK) return {};
  const std::string why = handle->last_error();
  if (status == HUB_INVALID_ARGUMENT) return invalid(why);
  return {Code::internal, "strategy \"" + rollout.strategy + "\" failed on its first step: " + why};
}

void Deployments::advance(Rollout& rollout, int64_t now_us) {
  std::unique_ptr<Live>& slot = live_[rollout.id];
  if (!slot) slot = std::make_unique<Live>();
  Live& live = *slot;
  const std::vector<InstanceRecord> fleet = parts_.registry.service(rollout.service).value_or(std::vector<InstanceRecord>{});
  watch_fleet(rollout, live, fleet, now_us);
  reassert(rollout);
  if (rollout.promoted && rollout.config && rollout.config_applied == 0 && rollout.phase != Phase::rolling_back)
    apply_config(rollout, now_us);  // stored as promoted, but storage refused the config then
  Rollout next = rollout;
  Effects effects;
  // Instances that moved (version, health, held) are progress, and the strategy sees them now,
  // not at the end of its wait.
  if (std::string mark = fleet_mark(rollout, fleet); mark != live.progress_mark) {
    if (!live.progress_mark.empty()) next.progress_at_unix_us = std::max(next.progress_at_unix_us, now_us);
    live.progress_mark = std::move(mark);
    live.next_at_us = 0;
  }
  const int64_t deadline_us = next.progress_at_unix_us + int64_t{next.progress_deadline_seconds} * 1'000'000;
  if (next.phase != Phase::paused && now_us > deadline_us) {
    const std::string why = "no progress in " + std::to_string(next.progress_deadline_seconds) + " s (progress_deadline_seconds)" +
                            (next.waiting_on.empty() ? "" : ": " + next.waiting_on);
    if (next.phase == Phase::rolling_back)
      end(next, Phase::failed, "the rollback made " + why + "; the fleet is left as it is", now_us, effects);
    else
      begin_rollback(next, why, kHub, now_us, effects);
  } else if (next.phase != Phase::paused && now_us >= live.next_at_us) {
    ask_strategy(rollout, live, fleet, now_us, next, effects);
  }
  // What the strategy waits on changes with every look at the fleet; it is shown, not stored.
  const std::string waiting_on = next.waiting_on;
  next.waiting_on = rollout.waiting_on;
  if (to_json(next) != to_json(rollout)) commit(rollout, std::move(next), effects);
  rollout.waiting_on = waiting_on;
}

void Deployments::watch_fleet(const Rollout& rollout, Live& live, const std::vector<InstanceRecord>& fleet, int64_t now_us) {
  std::map<std::string, std::pair<std::string, int64_t>> healthy_since;
  std::map<std::string, std::string, std::less<>> versions;
  for (const InstanceRecord& record : fleet) {
    versions[record.instance_id] = record.version;
    if (record.status != "healthy") continue;
    auto known = live.healthy_since.find(record.instance_id);
    const bool same = known != live.healthy_since.end() && known->second.first == record.version;
    healthy_since[record.instance_id] = {record.version, same ? known->second.second : now_us};
    if (record.version == rollout.to_version &&
        now_us - healthy_since[record.instance_id].second >= int64_t{rollout.gates.healthy_seconds} * 1'000'000)
      live.settled.insert(record.instance_id);
  }
  live.healthy_since = std::move(healthy_since);
  live.verdict = judge_gates(rollout, live, fleet, now_us);
  std::lock_guard lock(tally_mutex_);
  tallies_[rollout.service].versions = std::move(versions);
}

GateVerdict Deployments::judge_gates(const Rollout& rollout, const Live& live, const std::vector<InstanceRecord>& fleet,
                                     int64_t now_us) const {
  GateInput input;
  for (const InstanceRecord& record : fleet) {
    if (record.version != rollout.to_version || rollout.held.count(record.instance_id)) continue;
    ++input.fresh_instances;
    auto since = live.healthy_since.find(record.instance_id);
    if (since != live.healthy_since.end() && now_us - since->second.second >= int64_t{rollout.gates.healthy_seconds} * 1'000'000)
      ++input.fresh_settled;
    if (record.status == "down" && live.settled.count(record.instance_id)) input.fallen.push_back(record.instance_id);
  }
  {
    std::lock_guard lock(tally_mutex_);
    if (auto tallies = tallies_.find(rollout.service); tallies != tallies_.end()) {
      input.fresh = tallies->second.fresh;
      input.stable = tallies->second.stable;
    }
  }
  if (parts_.new_errors) input.new_errors = parts_.new_errors(rollout.service, rollout.to_version, rollout.created_at_unix_us);
  return judge(rollout.gates, input);
}

bool Deployments::ask_strategy(const Rollout& rollout, Live& live, const std::vector<InstanceRecord>& fleet, int64_t now_us, Rollout& next,
                               Effects& effects) {
  PluginInstance* handle = nullptr;
  try {
    handle = coordinator(rollout.strategy);
  } catch (const std::exception& error) {
    next.waiting_on = "strategy \"" + rollout.strategy + "\" could not be made: " + error.what();
    return false;
  }
  if (!handle) {
    next.waiting_on = "strategy \"" + rollout.strategy + "\" is not in this hub's deployment YAML any more";
    return false;
  }
  // Instances held and gone (restarting to upgrade) are still the rollout's: shown as down.
  std::vector<InstanceRecord> members = fleet;
  for (const auto& [instance, since] : rollout.held)
    if (std::none_of(fleet.begin(), fleet.end(), [&](const InstanceRecord& r) { return r.instance_id == instance; })) {
      InstanceRecord gone;
      gone.instance_id = instance;
      gone.status = "down";
      members.push_back(std::move(gone));
    }
  live.members.clear();
  for (const InstanceRecord& record : members) live.members.insert(record.instance_id);
  const std::vector<hub_rollout_instance> instances = instance_views(rollout, live.healthy_since, members, now_us);
  const hub_rollout_action* actions = nullptr;
  size_t count = 0;
  if (next_step_of(*handle, rollout, instances, live.verdict, now_us, actions, count) != HUB_OK) {
    next.waiting_on = "strategy \"" + rollout.strategy + "\" failed: " + printable_text(handle->last_error());
    return false;
  }
  live.next_at_us = 0;
  const auto* at = reinterpret_cast<const unsigned char*>(actions);
  bool drained = false, acted = false;
  for (size_t i = 0; i < count && active(next.phase); ++i) {
    const auto& action = *reinterpret_cast<const hub_rollout_action*>(at);
    if (action.struct_size < offsetof(hub_rollout_action, weight_percent)) break;  // not an action this ABI wrote
    at += action.struct_size;
    if (action.type == HUB_ROLLOUT_DRAIN && !drained && !next.held.count(text_of(action.instance_id))) {
      drained = true;
      ++next.batches;
    }
    carry_out(next, action, now_us, live, effects);
    acted = acted || action.type != HUB_ROLLOUT_WAIT;
    if (action.type == HUB_ROLLOUT_PAUSE) break;
  }
  if (acted) live.next_at_us = 0;  // what it did may let it do more: ask again at the next pass
  return true;
}

void Deployments::carry_out(Rollout& next, const hub_rollout_action& action, int64_t now_us, Live& live, Effects& effects) {
  const std::string instance = printable_text(text_of(action.instance_id), 200);
  const std::string reason = printable_text(text_of(action.reason), 500);
  const std::string& by = next.strategy;
  const bool names_member = live.members.count(instance) > 0;
  const bool per_instance = action.type == HUB_ROLLOUT_DRAIN || action.type == HUB_ROLLOUT_UPGRADE || action.type == HUB_ROLLOUT_RESTORE ||
                            action.type == HUB_ROLLOUT_RETIRE;
  if (per_instance && !names_member) {
    next.waiting_on = "the strategy named instance \"" + instance + "\", which the service does not have";
    return;
  }
  if (action.type != HUB_ROLLOUT_WAIT) next.progress_at_unix_us = std::max(next.progress_at_unix_us, now_us);
  switch (action.type) {
    case HUB_ROLLOUT_DRAIN:
      if (next.held.count(instance)) return;
      next.held[instance] = now_us;
      next.record(now_us, "drain", instance, reason, by);
      return direct(next, instance, "drain", reason, now_us, effects);
    case HUB_ROLLOUT_UPGRADE:
      next.record(now_us, "upgrade", instance, reason, by);
      return direct(next, instance, "upgrade", reason, now_us, effects);
    case HUB_ROLLOUT_RESTORE:
      if (!next.held.erase(instance)) return;
      next.record(now_us, "restore", instance, reason, by);
      return direct(next, instance, "resume", reason, now_us, effects);
    case HUB_ROLLOUT_RETIRE:
      if (next.retired.count(instance)) return;
      next.held[instance] = now_us;
      next.retired.insert(instance);
      next.record(now_us, "retire", instance, reason, by);
      return direct(next, instance, "retire", reason, now_us, effects);
    case HUB_ROLLOUT_WAIT:
      next.waiting_on = reason;
      live.next_at_us = now_us + std::clamp<int64_t>(action.wait_us, 0, 1'000'000);
      return;
    case HUB_ROLLOUT_PROMOTE:
      if (next.promoted || next.phase == Phase::rolling_back) return;
      next.promoted = true;
      next.record(now_us, "promote", "", reason, by);
      effects.config_apply = next.config.has_value();
      effects.topics.emplace_back("deployment.promoted", "");
      return;
    case HUB_ROLLOUT_PAUSE:
      if (next.phase != Phase::progressing) return;
      next.phase = Phase::paused;
      next.record(now_us, "pause", "", reason, by);
      effects.topics.emplace_back("deployment.paused", "");
      return;
    case HUB_ROLLOUT_ROLL_BACK:
      if (next.phase == Phase::rolling_back) return;
      return begin_rollback(next, reason, by, now_us, effects);
    case HUB_ROLLOUT_SET_WEIGHT: {
      const int weight = static_cast<int>(std::min<uint32_t>(action.weight_percent, 100));
      if (next.weight_percent == weight) return;
      next.weight_percent = weight;
      next.record(now_us, "set_weight", "", std::to_string(weight) + "% to " + next.to_version + ": " + reason, by);
      return;
    }
    case HUB_ROLLOUT_NEXT_STEP: {
      next.step += 1;
      next.step_started_unix_us = now_us;
      next.progress_at_unix_us = now_us + std::max<int64_t>(action.wait_us, 0);
      next.record(now_us, "next_step", "", "step " + std::to_string(next.step) + ": " + reason, by);
      std::lock_guard lock(tally_mutex_);
      if (auto tallies = tallies_.find(next.service); tallies != tallies_.end()) tallies->second.fresh = tallies->second.stable = {};
      return;
    }
    case HUB_ROLLOUT_DONE:
      if (next.phase == Phase::rolling_back)
        return end(next, next.aborted ? Phase::aborted : Phase::rolled_back, next.reason, now_us, effects);
      if (next.promoted) return end(next, Phase::succeeded, reason, now_us, effects);
      // A rollout never reads as a success its new version did not get (flagger#189).
      next.waiting_on = "the strategy said done before promoting " + next.to_version + "; refused";
      return;
    default:
      next.waiting_on = "the strategy asked for " + action_name(action.type) + ", which this hub does not know";
  }
}

void Deployments::begin_rollback(Rollout& next, const std::string& reason, const std::string& by, int64_t now_us, Effects& effects) {
  next.phase = Phase::rolling_back;
  next.reason = reason;
  next.promote_requested = false;
  next.progress_at_unix_us = now_us;
  next.step_started_unix_us = now_us;
  if (next.weight_percent > 0) next.weight_percent = 0;  // the new version loses its calls at once, before any strategy step
  next.record(now_us, "roll_back", "", reason, by);
  effects.config_restore = next.config_applied > 0;
  effects.topics.emplace_back("deployment.rolling_back", "");
}

void Deployments::end(Rollout& next, Phase phase, const std::string& reason, int64_t now_us, Effects& effects) {
  next.phase = phase;
  next.reason = reason;
  next.ended_at_unix_us = now_us;
  next.waiting_on.clear();
  // Every instance serves again, but those told to stop; a failed rollback keeps the new version's
  // calls at 0 until the next rollout.
  for (auto held = next.held.begin(); held != next.held.end();)
    held = next.retired.count(held->first) ? std::next(held) : next.held.erase(held);
  next.record(now_us, std::string(phase_name(phase)), "", reason, kHub);
  effects.ended = true;
  effects.topics.emplace_back("deployment." + std::string(phase_name(phase)), "");
}

void Deployments::direct(Rollout& next, const std::string& instance_id, const std::string& action, const std::string& reason,
                         int64_t now_us, Effects& effects) {
  Directive directive;
  directive.index = parts_.board.reserve();
  directive.service = next.service;
  directive.instance_id = instance_id;
  directive.rollout_id = next.id;
  directive.action = action;
  if (action == "upgrade") directive.version = next.target_version();
  directive.reason = reason;
  directive.issued_at_unix_us = now_us;
  next.directed[instance_id] = directive;
  effects.directives.push_back(std::move(directive));
}

bool Deployments::commit(Rollout& current, Rollout next, Effects& effects) {
  next.updated_at_unix_us = parts_.clock->now_unix_us();
  try {
    parts_.store.save_rollout({next.id, next.service, std::string(phase_name(next.phase)), to_json(next).dump(), next.created_at_unix_us,
                               next.updated_at_unix_us});
  } catch (const std::exception& error) {
    parts_.logger->warn("rollout {} of {}: its next step was not stored, so it was not taken; it is tried again: {}", next.id, next.service,
                        error.what());
    return false;
  }
  const std::map<std::string, int64_t> was_held = current.held;
  current = std::move(next);
  for (const auto& [instance, since] : was_held)
    if (!current.held.count(instance)) parts_.balancer.hold(current.service, instance, false);
  apply(current, effects);
  return true;
}

// After the change is stored: what it means outside the rollout.
void Deployments::apply(Rollout& rollout, const Effects& effects) {
  reassert(rollout);
  for (const Directive& directive : effects.directives) parts_.board.put(directive);
  const int64_t now_us = parts_.clock->now_unix_us();
  if (effects.config_restore) restore_config(rollout, now_us);
  if (effects.config_apply && rollout.phase != Phase::rolling_back) apply_config(rollout, now_us);
  for (const auto& [topic, detail] : effects.topics) publish(topic, rollout, detail);
  if (!effects.ended) return;
  if (rollout.phase == Phase::failed) {
    if (rollout.weight_percent >= 0) parts_.balancer.set_split(rollout.service, rollout.to_version, 0);
  } else {
    parts_.balancer.clear_split(rollout.service);
  }
  live_.erase(rollout.id);
  {
    std::lock_guard lock(tally_mutex_);
    tallies_.erase(rollout.service);
  }
  prune(rollout.service);
}

// Promotion applies the rollout's config as a new version of the service's; the version active
// before is kept so a rollback can make it active again (argo-rollouts#1297).
void Deployments::apply_config(Rollout& rollout, int64_t now_us) {
  const int64_t before = parts_.configs.effective(rollout.service).version;
  const config::Saved saved = parts_.configs.update(rollout.service, *rollout.config, "deployment " + rollout.id);
  if (saved.refusal) {
    if (saved.refusal.code() == Code::unavailable) {
      rollout.waiting_on = "its config is not stored yet (storage unavailable); tried again";
      return;
    }
    Effects effects;
    Rollout next = rollout;
    begin_rollback(next, "the config it carries was refused: " + saved.refusal.message(), kHub, now_us, effects);
    commit(rollout, std::move(next), effects);
    return;
  }
  Rollout next = rollout;
  next.config_before = before;
  next.config_applied = saved.version;
  next.record(now_us, "config", "", "config version " + std::to_string(saved.version) + " of " + rollout.service + " made active", kHub);
  Effects none;
  commit(rollout, std::move(next), none);
}

void Deployments::restore_config(Rollout& rollout, int64_t now_us) {
  const std::string by = "deployment " + rollout.id + " (rolled back)";
  const config::Saved saved = rollout.config_before > 0 ? parts_.configs.rollback(rollout.service, rollout.config_before, by)
                                                        : parts_.configs.update(rollout.service, Json::object(), by);
  Rollout next = rollout;
  if (saved.refusal) {
    next.record(now_us, "config", "", "the config before the rollout could not be made active again: " + saved.refusal.message(), kHub);
  } else {
    next.record(now_us, "config", "",
                rollout.config_before > 0 ? "config version " + std::to_string(rollout.config_before) + " active again"
                                          : "the service had no config before the rollout: an empty one is active",
                kHub);
    next.config_applied = 0;
  }
  Effects none;
  commit(rollout, std::move(next), none);
}

Status Deployments::command(const std::string& id, const std::string& verb, const std::string& by, Json& answer) {
  Rollout retried;
  {
    std::lock_guard lock(mutex_);
    Rollout* rollout = find(id);
    if (!rollout) return {Code::not_found, "no rollout " + id};
    const std::string phase(phase_name(rollout->phase));
    const int64_t now_us = parts_.clock->now_unix_us();
    Rollout next = *rollout;
    Effects effects;
    const auto refuse = [&](const std::string& why) {
      return Status{Code::failed_precondition, "rollout " + id + " is " + phase + ": " + why};
    };
    if (verb == "retry") {
      if (rollout->phase != Phase::rolled_back && rollout->phase != Phase::aborted && rollout->phase != Phase::failed)
        return refuse("only a rollout that rolled back, was aborted or failed can be retried");
      retried = *rollout;
    } else if (verb == "abort") {
      if (!active(rollout->phase)) return refuse("it has ended");
      next.aborted = true;
      if (rollout->phase == Phase::rolling_back)
        next.record(now_us, "abort", "", "already rolling back; it ends as aborted", by);
      else
        begin_rollback(next, "aborted by " + by, by, now_us, effects);
    } else if (verb == "pause") {
      if (rollout->phase != Phase::progressing)
        return refuse("only a progressing rollout can be paused; a rollback runs to its end, or abort");
      next.phase = Phase::paused;
      next.record(now_us, "pause", "", "paused by " + by, by);
      effects.topics.emplace_back("deployment.paused", "");
    } else if (verb == "resume") {
      if (rollout->phase != Phase::paused) return refuse("only a paused rollout can be resumed");
      next.phase = Phase::progressing;
      next.progress_at_unix_us = now_us;
      next.record(now_us, "resume", "", "resumed by " + by, by);
      effects.topics.emplace_back("deployment.resumed", "");
    } else if (verb == "promote") {
      if (rollout->phase != Phase::progressing && rollout->phase != Phase::paused)
        return refuse("only a progressing or paused rollout can be promoted");
      next.promote_requested = true;
      next.phase = Phase::progressing;
      next.progress_at_unix_us = now_us;
      next.record(now_us, "promote_requested", "", "promote now, by " + by + ": the remaining steps, pauses and gates are skipped", by);
    } else {
      return {Code::not_found, "no command " + verb + ": pause, resume, abort, promote or retry"};
    }
    if (verb != "retry") {
      if (!commit(*rollout, std::move(next), effects))
        return {Code::unavailable, "storage did not take the " + verb + "; nothing changed: try again", "storage_unavailable"};
      if (auto live = live_.find(id); live != live_.end()) live->second->next_at_us = 0;
      answer = view(*rollout);
    }
  }
  {
    std::lock_guard wake(thread_mutex_);
    poked_ = true;
  }
  wake_.notify_all();
  if (verb != "retry") return {};
  Rollout again;
  for (auto member : {&Rollout::service, &Rollout::strategy, &Rollout::from_version, &Rollout::to_version}) again.*member = retried.*member;
  again.batch_size = retried.batch_size;
  again.params = retried.params;
  again.progress_deadline_seconds = retried.progress_deadline_seconds;
  again.gates = retried.gates;
  again.config = retried.config;
  again.created_by = by;
  again.retry_of = retried.id;
  return launch(std::move(again), answer);
}

Json Deployments::list(const std::string& service) const {
  std::lock_guard lock(mutex_);
  std::vector<const Rollout*> found;
  for (const auto& [id, rollout] : rollouts_)
    if (service.empty() || rollout.service == service) found.push_back(&rollout);
  std::sort(found.begin(), found.end(), [](const Rollout* a, const Rollout* b) { return a->created_at_unix_us > b->created_at_unix_us; });
  Json out = Json::array();
  for (const Rollout* rollout : found) out.push_back(view(*rollout));
  return out;
}

Status Deployments::describe(const std::string& id, Json& answer) const {
  std::lock_guard lock(mutex_);
  const Rollout* rollout = find(id);
  if (!rollout) return {Code::not_found, "no rollout " + id};
  answer = view(*rollout);
  return {};
}

Json Deployments::view(const Rollout& r) const {
  const std::vector<InstanceRecord> fleet = parts_.registry.service(r.service).value_or(std::vector<InstanceRecord>{});
  Json versions = Json::object();
  size_t behind = 0;
  for (const InstanceRecord& record : fleet) {
    versions[record.version] = versions.value(record.version, 0) + 1;
    behind += record.version != r.target_version() && !r.held.count(record.instance_id);
  }
  size_t in_flight = 0;
  for (const auto& [instance, since] : r.held) in_flight += !r.retired.count(instance);
  const uint32_t done = r.batches - (in_flight > 0 && active(r.phase) ? 1 : 0);
  Json history = Json::array();
  for (const HistoryEntry& entry : r.history) {
    Json line = {{"at", rfc3339_utc(entry.at_unix_us)}, {"action", entry.action}, {"reason", entry.reason}, {"by", entry.by}};
    if (!entry.instance_id.empty()) line["instance_id"] = entry.instance_id;
    history.push_back(std::move(line));
  }
  Json directives = Json::array();
  for (const auto& [instance, d] : r.directed) directives.push_back(Json::parse(directive_json(d)));
  Json held = Json::array();
  for (const auto& [instance, since] : r.held) held.push_back(instance);
  Json out = {{"id", r.id},
              {"service", r.service},
              {"strategy", r.strategy},
              {"from_version", r.from_version},
              {"version", r.to_version},
              {"phase", phase_name(r.phase)},
              {"batch_size", r.batch_size},
              {"step", r.step},
              {"batches_done", done},
              {"batches_total", done + (behind + in_flight + r.batch_size - 1) / r.batch_size},
              {"weight_percent", r.weight_percent},
              {"promoted", r.promoted},
              {"instances", versions},
              {"held", held},
              {"retired", r.retired},
              {"directives", directives},
              {"params", r.params},
              {"progress_deadline_seconds", r.progress_deadline_seconds},
              {"created_by", r.created_by},
              {"created_at", rfc3339_utc(r.created_at_unix_us)},
              {"updated_at", rfc3339_utc(r.updated_at_unix_us)},
              {"history", history}};
  if (r.history_dropped) out["history_dropped"] = r.history_dropped;
  if (!r.retry_of.empty()) out["retry_of"] = r.retry_of;
  if (r.config) out["config"] = *r.config;
  if (r.config_applied > 0) out["config_version"] = r.config_applied;
  if (!r.reason.empty()) out["reason"] = r.reason;
  if (!r.waiting_on.empty() && active(r.phase)) out["waiting_on"] = r.waiting_on;
  if (r.ended_at_unix_us) out["ended_at"] = rfc3339_utc(r.ended_at_unix_us);
  if (active(r.phase) && r.phase != Phase::paused)
    out["deadline_at"] = rfc3339_utc(r.progress_at_unix_us + int64_t{r.progress_deadline_seconds} * 1'000'000);
  if (auto live = live_.find(r.id); live != live_.end() && r.phase != Phase::rolling_back) {
    static const char* const kGates[] = {"pending", "passing", "failing"};
    out["gate"] = {{"verdict", kGates[std::clamp(live->second->verdict.gate, 0, 2)]}, {"reason", live->second->verdict.reason}};
  }
  return out;
}

Status Deployments::acknowledge(const std::string& service, const std::string& instance_id, uint64_t index, const std::string& ack,
                                const std::string& message) {
  std::lock_guard lock(mutex_);
  Rollout* rollout = active_of(service);
  auto directed = rollout ? rollout->directed.find(instance_id) : decltype(rollout->directed.end()){};
  if (!rollout || directed == rollout->directed.end())
    return {Code::not_found, "no active rollout of \"" + service + "\" directs instance \"" + instance_id + "\""};
  if (directed->second.index != index)
    return {Code::failed_precondition,
            "directive " + std::to_string(index) + " is not instance " + instance_id + "'s latest; " +
                std::to_string(directed->second.index) + " is",
            "stale_directive"};
  if (!directed->second.ack.empty()) return {};  // answered already: an acknowledgement sent twice changes nothing
  const int64_t now_us = parts_.clock->now_unix_us();
  Rollout next = *rollout;
  Directive& directive = next.directed[instance_id];
  directive.ack = ack;
  directive.ack_message = message;
  directive.acked_at_unix_us = now_us;
  next.record(now_us, "ack", instance_id, directive.action + " " + ack + (message.empty() ? "" : ": " + message), instance_id);
  Effects effects;
  if (ack == "failed" && directive.action == "upgrade" && next.phase != Phase::rolling_back)
    begin_rollback(next, "instance " + instance_id + " could not move to " + directive.version + ": " + message, instance_id, now_us,
                   effects);
  if (!commit(*rollout, std::move(next), effects))
    return {Code::unavailable, "storage did not take the acknowledgement; send it again", "storage_unavailable"};
  parts_.board.acknowledge(service, instance_id, index, ack, message, now_us);
  return {};
}

void Deployments::observe(const std::string& service, const std::string& instance_id, bool succeeded, int64_t duration_us) {
  std::lock_guard lock(tally_mutex_);
  auto tallies = tallies_.find(service);
  if (tallies == tallies_.end()) return;
  auto version = tallies->second.versions.find(instance_id);
  if (version == tallies->second.versions.end()) return;
  Tally* tally = version->second == tallies->second.to_version     ? &tallies->second.fresh
                 : version->second == tallies->second.from_version ? &tallies->second.stable
                                                                   : nullptr;
  if (!tally) return;
  tally->calls += 1;
  tally->errors += !succeeded;
  if (duration_us > 0) {
    tally->duration_us += static_cast<double>(duration_us);
    tally->timed += 1;
  }
}

void Deployments::publish(const std::string& topic, const Rollout& rollout, const std::string& detail) const {
  if (!parts_.events.wanted(topic)) return;
  std::string message = "rollout " + rollout.id + " of " + rollout.service + " (" + rollout.from_version + " -> " + rollout.to_version +
                        ", " + rollout.strategy + "): " + std::string(phase_name(rollout.phase));
  if (!rollout.reason.empty()) message += ": " + rollout.reason;
  parts_.events.publish({topic,
                         "{\"id\":" + json_quote(rollout.id) + ",\"service\":" + json_quote(rollout.service) +
                             ",\"strategy\":" + json_quote(rollout.strategy) + ",\"from_version\":" + json_quote(rollout.from_version) +
                             ",\"to_version\":" + json_quote(rollout.to_version) + ",\"phase\":" + json_quote(phase_name(rollout.phase)) +
                             ",\"reason\":" + json_quote(rollout.reason) + ",\"message\":" + json_quote(message) + detail + "}",
                         parts_.clock->now_unix_us()});
}

// Ended rollouts beyond keep_ended per service go, oldest first.
void Deployments::prune(const std::string& service) {
  std::vector<const Rollout*> ended;
  for (const auto& [id, rollout] : rollouts_)
    if (rollout.service == service && !active(rollout.phase)) ended.push_back(&rollout);
  if (ended.size() <= static_cast<size_t>(settings_.keep_ended)) return;
  std::sort(ended.begin(), ended.end(), [](const Rollout* a, const Rollout* b) { return a->created_at_unix_us < b->created_at_unix_us; });
  std::vector<std::string> ids;
  for (size_t i = 0; i + settings_.keep_ended < ended.size(); ++i) ids.push_back(ended[i]->id);
  try {
    parts_.store.delete_rollouts(ids);
  } catch (const std::exception& error) {
    parts_.logger->warn("old rollouts of {} not deleted from storage (kept; tried at the next end): {}", service, error.what());
    return;
  }
  for (const std::string& id : ids) rollouts_.erase(id);
}
}  // namespace hub::deployments
