// One rollout: what was asked, where it stands, and what happened, all of which is stored (as
// JSON, rollout_json.hpp) at every change, so a restarted hub resumes it where it stood.
#pragma once

#include "directive.hpp"

#include <hub/deployment_settings.hpp>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>

namespace hub::deployments {

using Json = nlohmann::json;

enum class Phase { progressing, paused, rolling_back, succeeded, rolled_back, aborted, failed };
std::string_view phase_name(Phase phase);
std::optional<Phase> phase_named(std::string_view name);
inline bool active(Phase phase) {
  return phase == Phase::progressing || phase == Phase::paused || phase == Phase::rolling_back;
}

// One line of a rollout's history: an action carried out, an operator's command, a verdict.
struct HistoryEntry {
  int64_t at_unix_us = 0;
  std::string action;  // drain, upgrade, restore, retire, set_weight, next_step, promote, roll_back, done, pause, resume, abort, ...
  std::string instance_id;
  std::string reason;
  std::string by;  // "hub", the strategy's id, or the operator's token as the audit trail names it
};

struct Rollout {
  // What was asked (POST /deployments).
  std::string id, service, strategy, from_version, to_version;
  uint32_t batch_size = 1;
  Json params = Json::object();  // the strategy's own
  int progress_deadline_seconds = 600;
  GateSettings gates;
  std::optional<Json> config;  // applied at promotion, rolled back with the code
  std::string created_by;
  std::string retry_of;  // the rollout this one retries

  // Where it stands.
  Phase phase = Phase::progressing;
  bool promote_requested = false;
  bool promoted = false;
  bool aborted = false;
  uint32_t step = 0;
  int64_t step_started_unix_us = 0;
  int weight_percent = -1;  // to to_version's instances; -1: no split
  int64_t created_at_unix_us = 0;
  int64_t updated_at_unix_us = 0;
  int64_t progress_at_unix_us = 0;  // the progress deadline runs from here
  int64_t ended_at_unix_us = 0;
  uint32_t batches = 0;                       // drains started in groups: one per batch
  std::string waiting_on;                     // the strategy's latest reason to wait
  std::string reason;                         // why it rolls back, or ended as it did
  int64_t config_before = -1;                 // the service's active config version before promotion (0: none); -1 until promoted
  int64_t config_applied = 0;                 // the version the promotion made active
  std::map<std::string, int64_t> held;        // instances kept from calls, since when
  std::set<std::string> retired;              // told to stop for good
  std::map<std::string, Directive> directed;  // the latest directive to each instance
  std::deque<HistoryEntry> history;           // oldest first, bounded
  uint64_t history_dropped = 0;

  // The version every instance is headed for.
  const std::string& target_version() const { return phase == Phase::rolling_back ? from_version : to_version; }
  void record(int64_t at_unix_us, std::string action, std::string instance_id, std::string reason, std::string by);
};

Json to_json(const Rollout& rollout);
// Throws std::exception (nlohmann's) on a document this hub did not write.
Rollout rollout_from_json(const Json& json);

}  // namespace hub::deployments
