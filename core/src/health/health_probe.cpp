#include "basics/printable_text.hpp"
#include "plugin_host/abi_views.hpp"

#include <hub/errors.hpp>
#include "health_probe.hpp"

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <set>

namespace hub {

// One check in flight. It is the reporter_ctx the plugin holds, so it lives
// until the plugin reports or the probe's handle is destroyed.
struct Pending {
  std::mutex mutex;
  std::condition_variable reported;
  bool done = false;
  ProbeOutcome outcome;
};

struct HealthProbe::Tracker {
  std::mutex mutex;
  std::set<Pending*> pending;

  static void report(void* context, const hub_probe_result* result);
};

void HealthProbe::Tracker::report(void* context, const hub_probe_result* result) {
  auto* pending = static_cast<Pending*>(context);
  std::lock_guard lock(pending->mutex);
  if (pending->done) return;  // the hub already gave up on it
  pending->outcome.status = result->status;
  if (HUB_HAS_MEMBER(result, hub_probe_result, latency_us)) pending->outcome.latency_us = result->latency_us;
  if (HUB_HAS_MEMBER(result, hub_probe_result, message) && result->message.len)
    pending->outcome.message = printable_text(std::string_view(result->message.ptr, result->message.len));
  pending->done = true;
  pending->reported.notify_all();
}

HealthProbe::HealthProbe(std::unique_ptr<PluginInstance> instance) : tracker_(std::make_shared<Tracker>()), instance_(std::move(instance)) {
  if (!instance_ || instance_->kind() != HUB_KIND_HEALTH_PROBE)
    throw PluginError("instance '" + (instance_ ? instance_->id() : std::string("null")) + "' is not a health_probe");
}

HealthProbe::~HealthProbe() {
  instance_.reset();  // after destroy() returns no report can arrive
  for (Pending* pending : tracker_->pending) delete pending;
}

ProbeOutcome HealthProbe::check(const CheckTarget& target, std::chrono::milliseconds timeout) {
  const std::vector<hub_kv> attributes = kv_views(target.attributes);
  const hub_probe_target raw{sizeof(hub_probe_target),  str_view(target.name), str_view(target.host), target.port,
                             str_view(target.endpoint), attributes.data(),     attributes.size()};
  auto* pending = new Pending;
  {
    std::lock_guard lock(tracker_->mutex);
    tracker_->pending.insert(pending);
  }
  const hub_probe_reporter reporter{sizeof(hub_probe_reporter), pending, &Tracker::report};
  const auto& vtable = instance_->vtable<hub_health_probe_vtable>();
  static std::atomic<uint64_t> next_check_id{1};
  const uint64_t check_id = next_check_id++;
  const hub_host& host = instance_->host_table();
  const int64_t deadline = host.monotonic_us(host.host_ctx) + timeout.count() * 1000;

  const hub_status status = vtable.check(instance_->handle(), check_id, &raw, deadline, &reporter);
  std::unique_lock lock(pending->mutex);
  if (status != HUB_OK && !pending->done) {
    pending->outcome = {HUB_HEALTH_DOWN, 0, "probe refused the check: " + instance_->last_error()};
    pending->done = true;
  }
  if (!pending->reported.wait_for(lock, timeout, [&] { return pending->done; })) {
    pending->done = true;  // from now on a late report is ignored
    pending->outcome = {HUB_HEALTH_DOWN, timeout.count() * 1000, "timed out after " + std::to_string(timeout.count()) + " ms"};
    if (HUB_HAS_MEMBER(&vtable, hub_health_probe_vtable, cancel) && vtable.cancel) vtable.cancel(instance_->handle(), check_id);
    return pending->outcome;  // stays tracked: the plugin may still hold it until destroy()
  }
  ProbeOutcome outcome = std::move(pending->outcome);
  lock.unlock();
  {
    std::lock_guard guard(tracker_->mutex);
    tracker_->pending.erase(pending);
  }
  delete pending;
  return outcome;
}

}  // namespace hub
