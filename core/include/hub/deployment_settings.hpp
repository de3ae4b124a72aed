// How the hub coordinates rollouts (the `deployments` section): the defaults a POST /deployments
// may override, and how many ended rollouts it keeps.
#pragma once

#include <map>
#include <string>

namespace hub {

// What a rollout's gates compare: the new version's calls against the stable version's over the
// same window (outcomes callers report to POST /outcomes), and the new instances' health.
struct GateSettings {
  int healthy_seconds = 10;            // each new instance healthy this long without a break
  int min_calls = 20;                  // per version, before its error rate or latency is judged
  double max_error_rate_increase = 5;  // percentage points above the stable version's error rate
  double max_error_rate = 5;           // percent, when the stable version has too few calls to compare
  int max_failures = 5;                // failed calls that fail the gate when the stable version has too few calls
  double max_latency_ratio = 1.5;      // mean duration against the stable version's
  int min_latency_increase_ms = 5;     // and at least this much slower
  bool require_calls = false;          // true: the gate waits for min_calls on the new version
  // An error fingerprint first seen after the rollout began, reported this many times by the new
  // version's instances (POST /errors), fails the gate: the new code brought a new error. 0: off.
  int max_new_error_events = 10;
};

struct DeploymentSettings {
  int progress_deadline_seconds = 600;  // without progress this long, a rollout rolls back by itself
  int keep_ended = 20;                  // ended rollouts kept per service, for GET /deployments
  GateSettings gates;
  // Strategy names a POST /deployments may give, each the id of an enabled deployment_coordinator;
  // the built-in rolling, canary and blue_green need no entry.
  std::map<std::string, std::string> strategies;
  std::map<std::string, std::string> strategy_where;  // name -> "FILE:LINE:COLUMN"
};

}  // namespace hub
