#include "liveness_api.hpp"

#include "http/encoding.hpp"

#include <hub/errors.hpp>

#include <algorithm>

namespace hub {

namespace {

uint32_t whole_seconds(int64_t us) {
  return static_cast<uint32_t>(std::max<int64_t>(0, (us + 999'999) / 1'000'000));
}

http::Response not_enabled(const http::Request& request) {
  return http::error(request, 501, "liveness_not_enabled",
                     "no liveness policy is enabled in this deployment: enable the 'liveness' implementation of the discovery plugin "
                     "in its YAML");
}

}  // namespace

void to_proto(const Liveness& liveness, api::v1::LivenessStatus& out) {
  const Liveness::Status status = liveness.status();
  const LivenessSettings& settings = liveness.settings();
  out.set_state(state_name(status.state));
  out.set_message(status.message);
  out.set_grace_remaining_seconds(whole_seconds(status.grace_remaining_us));
  out.set_suspended_seconds(static_cast<uint32_t>(status.suspended_for_us / 1'000'000));
  out.set_live_instances(static_cast<uint32_t>(status.figures.live));
  out.set_expiring_instances(static_cast<uint32_t>(status.figures.expiring));
  out.set_expiring_percent(static_cast<uint32_t>(status.figures.percent()));
  out.set_guard(settings.guard);
  out.set_max_expiring_percent(static_cast<uint32_t>(settings.max_expiring_percent));
  out.set_window_seconds(static_cast<uint32_t>(settings.window_seconds));
  out.set_min_instances(static_cast<uint32_t>(settings.min_instances));
}

void add_liveness_routes(http::Router& router, Liveness* liveness) {
  if (!liveness) {
    router.add("GET", "/liveness", not_enabled);
    router.add("POST", "/liveness/confirm", not_enabled);
    return;
  }
  router.add("GET", "/liveness", [liveness](const http::Request& request) {
    api::v1::LivenessStatus body;
    to_proto(*liveness, body);
    return http::encode(request, body);
  });
  router.add("POST", "/liveness/confirm", [liveness](const http::Request& request) {
    if (!liveness->confirm())
      return http::error(request, 409, "not_suspended",
                         "liveness is not suspended: the mass-expiry guard holds no expiries, so there is nothing to confirm");
    int changed = 0;
    try {
      changed = liveness->run_pass();
    } catch (const StorageError& error) {
      return http::error(request, 503, "storage_unavailable",
                         std::string("confirmed, but storage refused the changes; the next passes retry them: ") + error.what());
    }
    api::v1::LivenessStatus body;
    to_proto(*liveness, body);
    body.set_message("confirmed: " + std::to_string(changed) + " instance(s) changed; " + body.message());
    return http::encode(request, body);
  });
}

}  // namespace hub
