#include "rollout.hpp"

#include <array>

namespace hub::deployments {

namespace {

constexpr std::array<std::pair<Phase, std::string_view>, 7> kPhases{{{Phase::progressing, "progressing"},
                                                                     {Phase::paused, "paused"},
                                                                     {Phase::rolling_back, "rolling_back"},
                                                                     {Phase::succeeded, "succeeded"},
                                                                     {Phase::rolled_back, "rolled_back"},
                                                                     {Phase::aborted, "aborted"},
                                                                     {Phase::failed, "failed"}}};

// Bounds what a rollout keeps of its past: enough for any rollout of a real fleet.
constexpr size_t kMaxHistory = 1000;

Json gates_json(const GateSettings& gates) {
  return {{"healthy_seconds", gates.healthy_seconds},
          {"min_calls", gates.min_calls},
          {"max_error_rate_increase", gates.max_error_rate_increase},
          {"max_error_rate", gates.max_error_rate},
          {"max_failures", gates.max_failures},
          {"max_latency_ratio", gates.max_latency_ratio},
          {"min_latency_increase_ms", gates.min_latency_increase_ms},
          {"require_calls", gates.require_calls},
          {"max_new_error_events", gates.max_new_error_events}};
}

GateSettings gates_from(const Json& json) {
  GateSettings gates;
  gates.healthy_seconds = json.at("healthy_seconds").get<int>();
  gates.min_calls = json.at("min_calls").get<int>();
  gates.max_error_rate_increase = json.at("max_error_rate_increase").get<double>();
  gates.max_error_rate = json.at("max_error_rate").get<double>();
  gates.max_failures = json.at("max_failures").get<int>();
  gates.max_latency_ratio = json.at("max_latency_ratio").get<double>();
  gates.min_latency_increase_ms = json.at("min_latency_increase_ms").get<int>();
  gates.require_calls = json.at("require_calls").get<bool>();
  gates.max_new_error_events = json.value("max_new_error_events", gates.max_new_error_events);  // rollouts stored before it: the default
  return gates;
}

Json directive_to(const Directive& d) {
  return {{"index", d.index},
          {"action", d.action},
          {"version", d.version},
          {"reason", d.reason},
          {"issued_at_us", d.issued_at_unix_us},
          {"ack", d.ack},
          {"ack_message", d.ack_message},
          {"acked_at_us", d.acked_at_unix_us}};
}

Directive directive_from(const Rollout& rollout, const std::string& instance_id, const Json& json) {
  Directive d;
  d.index = json.at("index").get<uint64_t>();
  d.service = rollout.service;
  d.instance_id = instance_id;
  d.rollout_id = rollout.id;
  d.action = json.at("action").get<std::string>();
  d.version = json.at("version").get<std::string>();
  d.reason = json.at("reason").get<std::string>();
  d.issued_at_unix_us = json.at("issued_at_us").get<int64_t>();
  d.ack = json.at("ack").get<std::string>();
  d.ack_message = json.at("ack_message").get<std::string>();
  d.acked_at_unix_us = json.at("acked_at_us").get<int64_t>();
  return d;
}

}  // namespace

std::string_view phase_name(Phase phase) {
  for (const auto& [value, name] : kPhases)
    if (value == phase) return name;
  return "unknown";
}

std::optional<Phase> phase_named(std::string_view name) {
  for (const auto& [value, known] : kPhases)
    if (known == name) return value;
  return std::nullopt;
}

void Rollout::record(int64_t at_unix_us, std::string action, std::string instance_id, std::string why, std::string by) {
  history.push_back({at_unix_us, std::move(action), std::move(instance_id), std::move(why), std::move(by)});
  if (history.size() > kMaxHistory) {
    history.pop_front();
    ++history_dropped;
  }
}

Json to_json(const Rollout& r) {
  Json history = Json::array();
  for (const HistoryEntry& entry : r.history)
    history.push_back({{"at_us", entry.at_unix_us},
                       {"action", entry.action},
                       {"instance_id", entry.instance_id},
                       {"reason", entry.reason},
                       {"by", entry.by}});
  Json directed = Json::object();
  for (const auto& [instance, directive] : r.directed) directed[instance] = directive_to(directive);
  Json held = Json::object();
  for (const auto& [instance, since] : r.held) held[instance] = since;
  return {{"id", r.id},
          {"service", r.service},
          {"strategy", r.strategy},
          {"from_version", r.from_version},
          {"to_version", r.to_version},
          {"batch_size", r.batch_size},
          {"params", r.params},
          {"progress_deadline_seconds", r.progress_deadline_seconds},
          {"gates", gates_json(r.gates)},
          {"config", r.config ? *r.config : Json()},
          {"created_by", r.created_by},
          {"retry_of", r.retry_of},
          {"phase", phase_name(r.phase)},
          {"promote_requested", r.promote_requested},
          {"promoted", r.promoted},
          {"aborted", r.aborted},
          {"step", r.step},
          {"step_started_us", r.step_started_unix_us},
          {"weight_percent", r.weight_percent},
          {"created_at_us", r.created_at_unix_us},
          {"updated_at_us", r.updated_at_unix_us},
          {"progress_at_us", r.progress_at_unix_us},
          {"ended_at_us", r.ended_at_unix_us},
          {"batches", r.batches},
          {"waiting_on", r.waiting_on},
          {"reason", r.reason},
          {"config_before", r.config_before},
          {"config_applied", r.config_applied},
          {"held", held},
          {"retired", r.retired},
          {"directed", directed},
          {"history", history},
          {"history_dropped", r.history_dropped}};
}

Rollout rollout_from_json(const Json& json) {
  Rollout r;
  r.id = json.at("id").get<std::string>();
  r.service = json.at("service").get<std::string>();
  r.strategy = json.at("strategy").get<std::string>();
  r.from_version = json.at("from_version").get<std::string>();
  r.to_version = json.at("to_version").get<std::string>();
  r.batch_size = json.at("batch_size").get<uint32_t>();
  r.params = json.at("params");
  r.progress_deadline_seconds = json.at("progress_deadline_seconds").get<int>();
  r.gates = gates_from(json.at("gates"));
  if (!json.at("config").is_null()) r.config = json.at("config");
  r.created_by = json.at("created_by").get<std::string>();
  r.retry_of = json.at("retry_of").get<std::string>();
  const std::optional<Phase> phase = phase_named(json.at("phase").get<std::string>());
  if (!phase) throw std::invalid_argument("unknown phase " + json.at("phase").dump());
  r.phase = *phase;
  r.promote_requested = json.at("promote_requested").get<bool>();
  r.promoted = json.at("promoted").get<bool>();
  r.aborted = json.at("aborted").get<bool>();
  r.step = json.at("step").get<uint32_t>();
  r.step_started_unix_us = json.at("step_started_us").get<int64_t>();
  r.weight_percent = json.at("weight_percent").get<int>();
  r.created_at_unix_us = json.at("created_at_us").get<int64_t>();
  r.updated_at_unix_us = json.at("updated_at_us").get<int64_t>();
  r.progress_at_unix_us = json.at("progress_at_us").get<int64_t>();
  r.ended_at_unix_us = json.at("ended_at_us").get<int64_t>();
  r.batches = json.at("batches").get<uint32_t>();
  r.waiting_on = json.at("waiting_on").get<std::string>();
  r.reason = json.at("reason").get<std::string>();
  r.config_before = json.at("config_before").get<int64_t>();
  r.config_applied = json.at("config_applied").get<int64_t>();
  for (const auto& [instance, since] : json.at("held").items()) r.held[instance] = since.get<int64_t>();
  r.retired = json.at("retired").get<std::set<std::string>>();
  for (const auto& [instance, directive] : json.at("directed").items()) r.directed[instance] = directive_from(r, instance, directive);
  for (const Json& entry : json.at("history"))
    r.history.push_back({entry.at("at_us").get<int64_t>(), entry.at("action").get<std::string>(),
                         entry.at("instance_id").get<std::string>(), entry.at("reason").get<std::string>(),
                         entry.at("by").get<std::string>()});
  r.history_dropped = json.at("history_dropped").get<uint64_t>();
  return r;
}

}  // namespace hub::deployments
