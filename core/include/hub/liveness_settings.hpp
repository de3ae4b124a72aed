// The `liveness` section.
#pragma once

namespace hub {

// How the hub keeps its own outages from looking like the fleet's (the `liveness` section).
// The liveness implementation decides when one instance is silent; these rules are the core's.
struct LivenessSettings {
  // After the hub starts, and after storage comes back, an instance not heard from since then is
  // judged silent only from that moment plus one heartbeat interval (the seed's 30 s).
  int heartbeat_interval_seconds = 30;
  // The mass-expiry guard: when more than max_expiring_percent of the live instances would go down
  // within window_seconds, the hub suspects itself and holds every expiry until heartbeats return
  // or an operator confirms. Fleets of fewer than min_instances are never held.
  bool guard = true;
  int max_expiring_percent = 15;
  int window_seconds = 90;  // keep it at the liveness implementation's service_timeout_seconds
  int min_instances = 10;
};

}  // namespace hub
