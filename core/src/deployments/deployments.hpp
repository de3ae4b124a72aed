// The rollout engine: the hub's side of deployment coordination. A deployment_coordinator
// strategy decides each next step from a rollout's state; this engine keeps that state (stored at
// every change, before anything is carried out, so a restart resumes it), carries out the steps
// (holds instances out of the balancers, splits calls between versions, directs instances,
// applies and restores the rollout's config), judges the gates, and enforces what no strategy
// may skip: one active rollout per service, a progress deadline that rolls back by itself, abort
// winning over everything, and no success without promotion.
#pragma once

#include "directive_board.hpp"
#include "gates.hpp"
#include "rollout.hpp"

#include "balancing/balancer.hpp"
#include "config/config_store.hpp"
#include "plugin_host/plugin_instance.hpp"
#include "registry/registry.hpp"
#include "storage/rollout_store.hpp"

#include <hub/clock.hpp>
#include <hub/deployment_settings.hpp>
#include <hub/event_bus.hpp>
#include <hub/status.hpp>

#include <spdlog/logger.h>

#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace hub::deployments {

class Deployments {
 public:
  // A handle of the deployment_coordinator a strategy name stands for; nullptr when none does.
  // Throws PluginError when the plugin refuses.
  using MakeCoordinator = std::function<std::unique_ptr<PluginInstance>(const std::string& strategy)>;

  struct Parts {
    const Registry& registry;
    Balancer& balancer;
    config::ConfigStore& configs;
    RolloutStore& store;
    DirectiveBoard& board;
    const EventBus& events;
    std::shared_ptr<Clock> clock;
    std::shared_ptr<spdlog::logger> logger;
    // The error fingerprints first seen since an instant, with how often a service's version
    // reported each (the hub's error groups); empty when nothing reports errors.
    std::function<std::vector<NewError>(const std::string& service, const std::string& version, int64_t since_unix_us)> new_errors;
  };
  Deployments(Parts parts, DeploymentSettings settings, MakeCoordinator make_coordinator);
  ~Deployments();  // stops the thread
  Deployments(const Deployments&) = delete;
  Deployments& operator=(const Deployments&) = delete;

  // Takes back the stored rollouts and puts the active ones' holds, splits and directives back in
  // place; throws StorageError.
  void restore();
  // Runs the rollouts on a thread of their own, every `interval` and whenever something changes.
  void start(std::chrono::milliseconds interval = std::chrono::milliseconds(200));
  void stop();
  // One pass over the active rollouts, now (what the thread does).
  void tick();

  // POST /deployments: the seed's body ({"service", "version", "strategy", "batch_size"}) plus
  // from_version, progress_deadline_seconds, gates, config, and the strategy's parameters. Fills
  // `answer` with the rollout. invalid_argument (nothing stored), not_found (no such service),
  // already_exists (an active rollout), unavailable (storage).
  Status create(const Json& request, const std::string& by, Json& answer);
  // pause, resume, abort, promote, retry (the new rollout's answer). not_found, failed_precondition.
  Status command(const std::string& id, const std::string& verb, const std::string& by, Json& answer);
  Json list(const std::string& service) const;  // newest first; every service when empty
  Status describe(const std::string& id, Json& answer) const;
  // An instance's answer to its directive `index`: done or failed (which rolls back).
  Status acknowledge(const std::string& service, const std::string& instance_id, uint64_t index, const std::string& ack,
                     const std::string& message);
  // A call's outcome, from POST /outcomes: the gates compare versions with them. Cheap when the
  // service has no active rollout.
  void observe(const std::string& service, const std::string& instance_id, bool succeeded, int64_t duration_us);

 private:
  struct Live;  // what the engine knows of an active rollout and does not store
  struct Effects;

  Rollout* find(const std::string& id);
  const Rollout* find(const std::string& id) const;
  Rollout* active_of(const std::string& service);
  PluginInstance* coordinator(const std::string& strategy);
  Status launch(Rollout rollout, Json& answer);  // a parsed request, or a retry
  Status validate(Rollout& rollout);
  void advance(Rollout& rollout, int64_t now_us);
  bool ask_strategy(const Rollout& rollout, Live& live, const std::vector<InstanceRecord>& fleet, int64_t now_us, Rollout& next,
                    Effects& effects);
  void carry_out(Rollout& next, const hub_rollout_action& action, int64_t now_us, Live& live, Effects& effects);
  void begin_rollback(Rollout& rollout, const std::string& reason, const std::string& by, int64_t now_us, Effects& effects);
  void end(Rollout& rollout, Phase phase, const std::string& reason, int64_t now_us, Effects& effects);
  void direct(Rollout& rollout, const std::string& instance_id, const std::string& action, const std::string& reason, int64_t now_us,
              Effects& effects);
  // Stores `next` in place of `current`, then carries out its effects; false (and nothing
  // changed) when storage refused it.
  bool commit(Rollout& current, Rollout next, Effects& effects);
  void apply(Rollout& rollout, const Effects& effects);
  void apply_config(Rollout& rollout, int64_t now_us);
  void restore_config(Rollout& rollout, int64_t now_us);
  void reassert(const Rollout& rollout);
  void watch_fleet(const Rollout& rollout, Live& live, const std::vector<InstanceRecord>& fleet, int64_t now_us);
  GateVerdict judge_gates(const Rollout& rollout, const Live& live, const std::vector<InstanceRecord>& fleet, int64_t now_us) const;
  Json view(const Rollout& rollout) const;
  void publish(const std::string& topic, const Rollout& rollout, const std::string& detail = "") const;
  void prune(const std::string& service);
  void run(std::chrono::milliseconds interval);

  const Parts parts_;
  const DeploymentSettings settings_;
  MakeCoordinator make_coordinator_;

  mutable std::mutex mutex_;
  std::map<std::string, Rollout> rollouts_;                              // by id
  std::map<std::string, std::unique_ptr<Live>> live_;                    // the active rollouts', by id
  std::map<std::string, std::unique_ptr<PluginInstance>> coordinators_;  // by strategy name

  // What observe() needs, under a lock of its own: /outcomes must not wait on a rollout's step.
  struct Tallies {
    std::string from_version, to_version;
    std::map<std::string, std::string, std::less<>> versions;  // instance id -> version
    Tally fresh, stable;
  };
  mutable std::mutex tally_mutex_;
  std::map<std::string, Tallies, std::less<>> tallies_;  // by service, for active rollouts

  std::mutex thread_mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  bool poked_ = false;
  std::thread thread_;
};

}  // namespace hub::deployments
