#include "error_groups.hpp"

#include "basics/time_text.hpp"

#include <algorithm>
#include <cstdio>

namespace hub::error_groups {

using nlohmann::json;

namespace {

json event_json(const ErrorEvent& event, int64_t received_us) {
  json frames = json::array();
  for (const Frame& frame : event.frames) frames.push_back(frame.to_json());
  json out = {{"service", event.service},
              {"version", event.version},
              {"host", event.host},
              {"instance_id", event.instance_id},
              {"type", event.type},
              {"message", event.message},
              {"correlation_id", event.correlation_id},
              {"frames", std::move(frames)},
              {"received_at", rfc3339_utc(received_us)}};
  if (event.reported_at_unix_us) out["reported_at"] = rfc3339_utc(event.reported_at_unix_us);
  return out;
}

std::string rounded(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f", value);
  return text;
}

}  // namespace

ErrorGroups::ErrorGroups(const ErrorSettings& settings, std::shared_ptr<Clock> clock, EventBus& events, Metrics& metrics)
    : settings_(settings), clock_(std::move(clock)), events_(events), metrics_(metrics) {
  metrics_.describe("hub_error_events_total", Metrics::Type::counter, "Error events reported with POST /errors, by service.");
  metrics_.describe("hub_error_groups", Metrics::Type::gauge, "Error groups (fingerprints) the hub keeps.");
  metrics_.describe("hub_error_groups_evicted_total", Metrics::Type::counter,
                    "Error groups forgotten to stay within errors.max_groups, seen longest ago first.");
}

size_t ErrorGroups::size() const {
  std::lock_guard lock(mutex_);
  return groups_.size();
}

ErrorGroups::Ingested ErrorGroups::ingest(const std::vector<ErrorEvent>& events) {
  std::lock_guard lock(mutex_);
  const int64_t now = clock_->now_unix_us();
  Ingested ingested;
  std::set<std::string> touched_groups, touched_services;
  for (const ErrorEvent& event : events) {
    const ErrorPattern pattern = dna_.analyze(event.type, event.message, event.frames);
    bool created = false;
    Group& group = group_for(pattern, now, created);
    ingested.new_groups += created;
    ingested.fingerprints.push_back(pattern.fingerprint);
    group.last_seen_us = now;
    ++group.count;
    ++group.services[event.service];
    group.last_service = event.service;
    if (auto counted = group.by_version.find({event.service, event.version}); counted != group.by_version.end())
      ++counted->second;
    else if (group.by_version.size() < kMaxValues)
      group.by_version.emplace(std::make_pair(event.service, event.version), 1);
    if (!event.version.empty() && group.versions.size() < kMaxValues) group.versions.insert(event.version);
    if (!event.host.empty() && group.hosts.size() < kMaxValues) group.hosts.insert(event.host);
    if (settings_.samples_per_group) {
      group.samples.push_back(event_json(event, now));
      while (group.samples.size() > settings_.samples_per_group) group.samples.pop_front();
    }
    group.rate.add(now);
    count_for_service(event.service, now, touched_services);
    touched_groups.insert(pattern.fingerprint);
    metrics_.counter_add("hub_error_events_total", 1, {{"service", event.service}});
    if (created && settings_.alert_new_errors)
      publish("errors.new",
              {{"fingerprint", pattern.fingerprint},
               {"service", event.service},
               {"type", pattern.type},
               {"category", group.category},
               {"severity", group.severity},
               {"message", "new error in " + event.service + ": " + pattern.type + ": " + pattern.parameterized_message.substr(0, 300) +
                               " (" + pattern.fingerprint + ")"}},
              now);
  }
  for (const std::string& fingerprint : touched_groups) {
    auto found = groups_.find(fingerprint);
    if (found == groups_.end()) continue;  // a flood later in the batch made it give way
    Group& group = found->second;
    judge(group.spike, group.rate, now, "error " + fingerprint + " (" + group.pattern.type + ")",
          {{"fingerprint", fingerprint}, {"service", group.last_service}});
  }
  for (const std::string& name : touched_services) {
    ServiceRate& service = services_.at(name);
    judge(service.spike, service.rate, now, "errors of " + name, {{"service", name}});
  }
  unsaved_groups_.insert(touched_groups.begin(), touched_groups.end());
  unsaved_rates_.insert(touched_services.begin(), touched_services.end());
  metrics_.gauge_set("hub_error_groups", static_cast<double>(groups_.size()));
  return ingested;
}

// Services' rates are bounded like groups: names beyond max_groups are not tracked (their groups are).
void ErrorGroups::count_for_service(const std::string& service, int64_t now, std::set<std::string>& touched) {
  auto found = services_.find(service);
  if (found == services_.end()) {
    if (services_.size() >= settings_.max_groups) return;
    found = services_.emplace(service, ServiceRate{ErrorRate(settings_.window_seconds, settings_.baseline_half_life_seconds), {}}).first;
  }
  found->second.rate.add(now);
  touched.insert(service);
}

Group& ErrorGroups::group_for(const ErrorPattern& pattern, int64_t now, bool& created) {
  auto found = groups_.find(pattern.fingerprint);
  created = found == groups_.end();
  if (!created) return found->second;
  if (groups_.size() >= settings_.max_groups) evict_oldest();
  const Classification classification = classifier_.classify(pattern);
  Group group{.pattern = pattern,
              .category = classification.category,
              .severity = classification.severity,
              .first_seen_us = now,
              .rate = ErrorRate(settings_.window_seconds, settings_.baseline_half_life_seconds)};
  group.pattern.stack.clear();  // the samples keep whole events; the pattern keeps what groups them
  forgotten_.erase(pattern.fingerprint);
  return groups_.emplace(pattern.fingerprint, std::move(group)).first->second;
}

// The group seen longest ago gives way to a new one, so a flood of distinct fingerprints (a hostile
// or broken reporter) costs old, quiet groups and never the hub's memory.
void ErrorGroups::evict_oldest() {
  auto oldest = std::min_element(groups_.begin(), groups_.end(),
                                 [](const auto& a, const auto& b) { return a.second.last_seen_us < b.second.last_seen_us; });
  if (oldest == groups_.end()) return;
  forget(oldest);
  metrics_.counter_add("hub_error_groups_evicted_total", 1);
}

// Returns whether the spike began or ended.
bool ErrorGroups::judge(Spike& spike, ErrorRate& rate, int64_t now, const std::string& what, const json& about) {
  spike.rate = rate.window_rate(now);
  spike.baseline = rate.baseline(now);
  spike.threshold = std::max(settings_.floor_per_minute, settings_.multiplier * spike.baseline);
  const bool spiking = spike.rate > 0 && spike.rate >= spike.threshold;
  if (spiking == spike.active) return false;
  spike.active = spiking;
  json payload = about;
  payload["rate_per_minute"] = spike.rate;
  payload["baseline_per_minute"] = spike.baseline;
  payload["threshold_per_minute"] = spike.threshold;
  payload["message"] = spiking
                           ? what + " spikes: " + rounded(spike.rate) + "/min over the last " + std::to_string(settings_.window_seconds) +
                                 " s against a baseline of " + rounded(spike.baseline) + "/min (threshold " + rounded(spike.threshold) + ")"
                           : what + " back to " + rounded(spike.rate) + "/min, under the threshold of " + rounded(spike.threshold);
  publish(spiking ? "errors.spike" : "errors.spike_ended", std::move(payload), now);
  return true;
}

void ErrorGroups::sweep() {
  std::lock_guard lock(mutex_);
  const int64_t now = clock_->now_unix_us();
  const int64_t forget_before = now - int64_t{settings_.retention_days} * 86'400'000'000;
  for (auto it = groups_.begin(); it != groups_.end();) {
    if (it->second.last_seen_us < forget_before) {
      it = forget(it);
      continue;
    }
    if (judge(it->second.spike, it->second.rate, now, "error " + it->first + " (" + it->second.pattern.type + ")",
              {{"fingerprint", it->first}, {"service", it->second.last_service}}))
      unsaved_groups_.insert(it->first);
    ++it;
  }
  for (auto& [name, service] : services_)
    if (judge(service.spike, service.rate, now, "errors of " + name, {{"service", name}})) unsaved_rates_.insert(name);
  metrics_.gauge_set("hub_error_groups", static_cast<double>(groups_.size()));
}

// Not const: reading a rate moves its window to now.
json ErrorGroups::summary(Group& group, int64_t now) {
  json frames = json::array();
  for (const Frame& frame : group.pattern.frames) frames.push_back(frame.key());
  return {{"fingerprint", group.pattern.fingerprint},
          {"type", group.pattern.type},
          {"message", group.pattern.parameterized_message},
          {"frames", std::move(frames)},
          {"category", group.category},
          {"severity", group.severity},
          {"first_seen", rfc3339_utc(group.first_seen_us)},
          {"last_seen", rfc3339_utc(group.last_seen_us)},
          {"count", group.count},
          {"services", group.services},
          {"versions", group.versions},
          {"hosts", group.hosts},
          {"rate_per_minute", group.rate.window_rate(now)},
          {"baseline_per_minute", group.rate.baseline(now)},
          {"spiking", group.spike.active}};
}

json ErrorGroups::list(const std::string& service, int64_t since_us, size_t limit) {
  std::lock_guard lock(mutex_);
  const int64_t now = clock_->now_unix_us();
  std::vector<Group*> chosen;
  for (auto& [fingerprint, group] : groups_)
    if ((service.empty() || group.services.count(service)) && group.last_seen_us >= since_us) chosen.push_back(&group);
  std::sort(chosen.begin(), chosen.end(), [](const Group* a, const Group* b) {
    return a->last_seen_us != b->last_seen_us ? a->last_seen_us > b->last_seen_us : a->pattern.fingerprint < b->pattern.fingerprint;
  });
  json out = json::array();
  for (size_t i = 0; i < chosen.size() && i < limit; ++i) out.push_back(summary(*chosen[i], now));
  return {{"groups", std::move(out)}, {"total", chosen.size()}};
}

std::optional<json> ErrorGroups::find(const std::string& fingerprint) {
  std::lock_guard lock(mutex_);
  auto found = groups_.find(fingerprint);
  if (found == groups_.end()) return std::nullopt;
  const int64_t now = clock_->now_unix_us();
  json out = summary(found->second, now);
  out["samples"] = json(found->second.samples);
  out["last_hour"] = found->second.rate.last_hour(now);
  return out;
}

json ErrorGroups::services() {
  std::lock_guard lock(mutex_);
  const int64_t now = clock_->now_unix_us();
  json out = json::object();
  for (auto& [name, service] : services_)
    out[name] = {{"rate_per_minute", service.rate.window_rate(now)},
                 {"baseline_per_minute", service.rate.baseline(now)},
                 {"spiking", service.spike.active}};
  return out;
}

std::vector<ErrorGroups::FirstSeen> ErrorGroups::first_seen_since(const std::string& service, const std::string& version,
                                                                  int64_t since_us) const {
  std::lock_guard lock(mutex_);
  std::vector<FirstSeen> found;
  for (const auto& [fingerprint, group] : groups_) {
    if (group.first_seen_us < since_us) continue;
    auto counted = group.by_version.find({service, version});
    if (counted != group.by_version.end()) found.push_back({fingerprint, group.pattern.type, counted->second});
  }
  return found;
}

std::map<std::string, Group>::iterator ErrorGroups::forget(std::map<std::string, Group>::iterator group) {
  unsaved_groups_.erase(group->first);
  // Bounded while storage is away: past max_groups names, save() forgets by age instead.
  if (forgotten_.size() < settings_.max_groups)
    forgotten_.insert(group->first);
  else
    forgotten_overflow_ = true;
  return groups_.erase(group);
}

size_t ErrorGroups::restore(const StoredErrorGroups& stored) {
  std::lock_guard lock(mutex_);
  const auto empty_rate = [this] { return ErrorRate(settings_.window_seconds, settings_.baseline_half_life_seconds); };
  size_t unreadable = 0;
  std::vector<Group> read;
  for (const ErrorGroupRecord& record : stored.groups) {
    auto group = group_from_document(json::parse(record.document, nullptr, false), empty_rate());
    if (!group || group->pattern.fingerprint != record.fingerprint) {
      ++unreadable;
      forgotten_.insert(record.fingerprint);
      continue;
    }
    read.push_back(std::move(*group));
  }
  // max_groups may have been lowered since: the groups seen longest ago give way.
  std::sort(read.begin(), read.end(), [](const Group& a, const Group& b) { return a.last_seen_us > b.last_seen_us; });
  for (Group& group : read) {
    if (groups_.size() >= settings_.max_groups) {
      forgotten_.insert(group.pattern.fingerprint);
      continue;
    }
    groups_.insert_or_assign(group.pattern.fingerprint, std::move(group));
  }
  for (const ErrorRateRecord& record : stored.rates) {
    if (services_.size() >= settings_.max_groups) break;
    const json document = json::parse(record.document, nullptr, false);
    ServiceRate service{empty_rate(), {}};
    const bool readable = document.is_object() && document.contains("rate") && service.rate.restore(document["rate"]) &&
                          document.contains("spiking") && document["spiking"].is_boolean();
    if (!readable) {
      ++unreadable;
      continue;
    }
    service.spike.active = document["spiking"].get<bool>();
    services_.insert_or_assign(record.service, std::move(service));
  }
  metrics_.gauge_set("hub_error_groups", static_cast<double>(groups_.size()));
  return unreadable;
}

void ErrorGroups::save(ErrorGroupStore& store) {
  ErrorGroupChanges changes;
  {
    std::lock_guard lock(mutex_);
    const int64_t now = clock_->now_unix_us();
    for (const std::string& fingerprint : unsaved_groups_) {
      const Group& group = groups_.at(fingerprint);
      changes.groups.push_back({fingerprint, group.last_service, group.pattern.type, group.first_seen_us, group.last_seen_us, group.count,
                                group_document(group).dump(-1, ' ', false, json::error_handler_t::replace)});
    }
    changes.forgotten.assign(forgotten_.begin(), forgotten_.end());
    if (forgotten_overflow_) {
      changes.forget_seen_before_unix_us = now;
      for (const auto& [fingerprint, group] : groups_)
        changes.forget_seen_before_unix_us = std::min(changes.forget_seen_before_unix_us, group.last_seen_us);
    }
    for (const std::string& name : unsaved_rates_) {
      const ServiceRate& service = services_.at(name);
      changes.rates.push_back({name, json{{"rate", service.rate.state()}, {"spiking", service.spike.active}}.dump(), now});
    }
    unsaved_groups_.clear();
    forgotten_.clear();
    forgotten_overflow_ = false;
    unsaved_rates_.clear();
  }
  if (changes.empty()) return;
  try {
    store.save_error_groups(changes);
  } catch (...) {
    std::lock_guard lock(mutex_);
    for (const ErrorGroupRecord& record : changes.groups)
      if (groups_.count(record.fingerprint)) unsaved_groups_.insert(record.fingerprint);
    for (const std::string& fingerprint : changes.forgotten)
      if (!groups_.count(fingerprint)) forgotten_.insert(fingerprint);
    forgotten_overflow_ |= changes.forget_seen_before_unix_us != 0;
    for (const ErrorRateRecord& record : changes.rates) unsaved_rates_.insert(record.service);
    throw;
  }
}

void ErrorGroups::publish(const std::string& topic, json payload, int64_t now) {
  if (!events_.wanted(topic)) return;
  events_.publish({topic, payload.dump(), now});
}

}  // namespace hub::error_groups
