#include "liveness.hpp"

#include "basics/json_text.hpp"

#include <algorithm>
#include <vector>

namespace hub {

namespace {

hub_health health_of(const std::string& reported) {
  if (reported == "healthy") return HUB_HEALTH_HEALTHY;
  return reported == "degraded" ? HUB_HEALTH_DEGRADED : HUB_HEALTH_DOWN;
}

std::string seconds_text(int64_t us) {
  return std::to_string(us / 1'000'000) + " s";
}

}  // namespace

std::string state_name(Liveness::Status::State state) {
  switch (state) {
    case Liveness::Status::State::grace:
      return "grace";
    case Liveness::Status::State::suspended:
      return "suspended";
    default:
      return "active";
  }
}

Liveness::Liveness(Registry& registry, AssessLiveness policy, const LivenessSettings& settings, std::shared_ptr<Clock> clock,
                   EventBus& events, Metrics& metrics, std::shared_ptr<spdlog::logger> logger)
    : registry_(registry),
      policy_(std::move(policy)),
      settings_(settings),
      clock_(std::move(clock)),
      events_(events),
      metrics_(metrics),
      logger_(std::move(logger)),
      guard_(settings) {
  metrics_.describe("hub_liveness_suspended", Metrics::Type::gauge,
                    "1 while the mass-expiry guard holds expiries (the hub suspects itself, not the fleet), else 0.");
  metrics_.describe("hub_liveness_held", Metrics::Type::gauge, "Instances the mass-expiry guard keeps from going down now.");
  metrics_.gauge_set("hub_liveness_suspended", 0);
  metrics_.gauge_set("hub_liveness_held", 0);
}

void Liveness::begin_grace(const std::string& reason) {
  std::lock_guard lock(mutex_);
  const int64_t now = clock_->monotonic_us();
  // Storage that answers checks but refuses writes begins a grace at every pass: said once per grace.
  const bool repeated = grace_start_us_ != INT64_MIN && reason == grace_reason_ && now - grace_start_us_ < grace_length_us();
  grace_start_us_ = now;
  grace_reason_ = reason;
  if (repeated) return;
  logger_->info("liveness grace: {}; an instance not heard from since is judged silent only from {} s from now", reason,
                settings_.heartbeat_interval_seconds);
}

// Silence is counted from the later of the last heartbeat and the grace's start (plus one
// heartbeat interval); time down, from the later of going down and the grace's start.
hub_liveness_input Liveness::input_for(const LivenessCandidate& candidate, int64_t now, int64_t grace_start) const {
  const int64_t heard = candidate.beat_mono_us >= grace_start ? candidate.beat_mono_us
                                                              : grace_start + int64_t{settings_.heartbeat_interval_seconds} * 1'000'000;
  const int64_t down_since = std::max(candidate.down_since_mono_us, grace_start);
  return {sizeof(hub_liveness_input),
          {candidate.service.data(), candidate.service.size()},
          {candidate.id.data(), candidate.id.size()},
          health_of(candidate.reported),
          std::max<int64_t>(0, now - heard),
          candidate.down ? std::max<int64_t>(0, now - down_since) : 0};
}

int Liveness::run_pass() {
  std::lock_guard pass(pass_mutex_);
  const int64_t now = clock_->monotonic_us();
  std::vector<LivenessCandidate>& candidates = candidates_;
  registry_.liveness_candidates(candidates);
  const int64_t grace_start = [&] {
    std::lock_guard lock(mutex_);
    return grace_start_us_;
  }();
  std::vector<hub_liveness_action>& actions = actions_;
  actions.clear();
  size_t live = 0, expiring = 0;
  for (const LivenessCandidate& candidate : candidates) {
    actions.push_back(policy_(input_for(candidate, now, grace_start)));
    if (candidate.reported == "down") continue;
    ++live;
    expiring += actions.back() == HUB_LIVENESS_MARK_DOWN;
  }
  LivenessGuard::Decision decision;
  {
    std::lock_guard lock(mutex_);
    decision = guard_.decide(now, live, expiring);
  }
  report(decision, now);
  if (decision.hold) return 0;
  int changes = 0;
  size_t downs = 0;
  const auto count_downs = [&] {
    // What an operator confirmed is not counted toward the next hold.
    std::lock_guard lock(mutex_);
    if (decision.change != LivenessGuard::Change::confirmed) guard_.expired(now, downs);
  };
  try {
    for (size_t i = 0; i < candidates.size(); ++i) {
      if (!registry_.apply_liveness(candidates[i], actions[i])) continue;
      ++changes;
      downs += actions[i] == HUB_LIVENESS_MARK_DOWN;
    }
  } catch (...) {
    count_downs();
    throw;
  }
  count_downs();
  return changes;
}

void Liveness::report(const LivenessGuard::Decision& decision, int64_t now) {
  const LivenessGuard::Figures& f = decision.figures;
  metrics_.gauge_set("hub_liveness_suspended", decision.hold ? 1 : 0);
  metrics_.gauge_set("hub_liveness_held", decision.hold ? static_cast<double>(f.expiring) : 0);
  const std::string figures = std::to_string(f.expiring) + " of " + std::to_string(f.live) + " live instances (" +
                              std::to_string(f.percent()) + "%) within " + std::to_string(settings_.window_seconds) + " s";
  const auto publish = [&](const std::string& topic, const std::string& message) {
    events_.publish({topic,
                     "{\"live_instances\":" + std::to_string(f.live) + ",\"expiring_instances\":" + std::to_string(f.expiring) +
                         ",\"expiring_percent\":" + std::to_string(f.percent()) +
                         ",\"max_expiring_percent\":" + std::to_string(settings_.max_expiring_percent) +
                         ",\"window_seconds\":" + std::to_string(settings_.window_seconds) + ",\"message\":" + json_quote(message) + "}",
                     clock_->now_unix_us()});
  };
  switch (decision.change) {
    case LivenessGuard::Change::suspended: {
      const std::string message = "expiries held: " + figures + " would go down, above the " +
                                  std::to_string(settings_.max_expiring_percent) +
                                  "% the guard allows; the hub suspects itself, not the fleet. Nothing goes down or is "
                                  "deregistered until heartbeats return, or an operator confirms with POST /liveness/confirm";
      logger_->warn("liveness suspended: {}", message);
      publish("liveness.suspended", message);
      break;
    }
    case LivenessGuard::Change::resumed: {
      const int64_t since = [&] {
        std::lock_guard lock(mutex_);
        return guard_.holding_since_us();
      }();
      const std::string message = "heartbeats are back: " + figures + " would go down now, at most the " +
                                  std::to_string(settings_.max_expiring_percent) + "% the guard allows; expiries resume after " +
                                  seconds_text(now - since) + " held";
      logger_->info("liveness resumed: {}", message);
      publish("liveness.resumed", message);
      break;
    }
    case LivenessGuard::Change::confirmed: {
      const std::string message = "an operator confirmed the expiries held: " + figures + " go down now";
      logger_->warn("liveness resumed: {}", message);
      publish("liveness.resumed", message);
      break;
    }
    case LivenessGuard::Change::none:
      break;
  }
}

bool Liveness::confirm() {
  std::lock_guard lock(mutex_);
  if (!guard_.confirm()) return false;
  logger_->warn("liveness: an operator confirmed the expiries the guard holds; the next pass applies them");
  return true;
}

Liveness::Status Liveness::status() const {
  const int64_t now = clock_->monotonic_us();
  std::lock_guard lock(mutex_);
  Status status;
  status.figures = guard_.last();
  const LivenessGuard::Figures& f = status.figures;
  const int64_t grace_end = grace_start_us_ == INT64_MIN ? INT64_MIN : grace_start_us_ + grace_length_us();
  if (guard_.holding()) {
    status.state = Status::State::suspended;
    status.suspended_for_us = now - guard_.holding_since_us();
    status.message = "expiries held for " + seconds_text(status.suspended_for_us) + ": " + std::to_string(f.expiring) + " of " +
                     std::to_string(f.live) + " live instances (" + std::to_string(f.percent()) + "%) would go down within " +
                     std::to_string(settings_.window_seconds) + " s, above the " + std::to_string(settings_.max_expiring_percent) +
                     "% allowed; resumes when heartbeats return, or on POST /liveness/confirm";
  } else if (now < grace_end) {
    status.state = Status::State::grace;
    status.grace_remaining_us = grace_end - now;
    status.message = "in grace: instances not heard from since " + seconds_text(now - grace_start_us_) + " ago are judged silent from " +
                     std::to_string(settings_.heartbeat_interval_seconds) + " s after that";
  } else {
    status.message = settings_.guard ? "expiring silent instances; the mass-expiry guard watches"
                                     : "expiring silent instances; the "
                                       "mass-expiry guard is off";
  }
  return status;
}

}  // namespace hub
