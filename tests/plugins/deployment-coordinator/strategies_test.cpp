// The three strategies through the ABI, as the core calls them, against a fleet this test keeps:
// it carries out each action the way the core does, and instances obey at once.
#include "deployment_coordinator_plugin.hpp"
#include "plugin_host/plugin_instance.hpp"
#include "plugin_host/plugin_loader.hpp"

#include <hub/plugin.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

namespace hub {
namespace {

struct Member {
  std::string id, version;
  hub_health health = HUB_HEALTH_HEALTHY;
  bool draining = false;
  int64_t healthy_since_us = 0;
  int64_t draining_since_us = 0;
};

class Fleet {
 public:
  Fleet(const std::string& strategy, size_t size, std::map<std::string, std::string> params = {}, uint32_t batch = 2)
      : params_(std::move(params)), batch_(batch) {
    static const auto library = PluginLoader{}.add_static("deployment-coordinator", &deployment_coordinator_plugin);
    handle_ = PluginInstance::create(library, *library->find(strategy, HUB_KIND_DEPLOYMENT_COORDINATOR), strategy, PluginConfig{}, {});
    for (size_t i = 0; i < size; ++i) members.push_back({"i-" + std::to_string(i), "v1"});
  }

  // Asks for the next step, carries it out; the status the plugin answered.
  hub_status step() {
    std::vector<hub_rollout_instance> views;
    for (const Member& m : members)
      views.push_back({sizeof(hub_rollout_instance), str(m.id), str(m.version), m.health, m.draining,
                       m.health == HUB_HEALTH_HEALTHY ? now_us - m.healthy_since_us : 0, m.draining ? now_us - m.draining_since_us : 0, 0});
    std::vector<hub_kv> kvs;
    for (const auto& [key, value] : params_) kvs.push_back({str(key), str(value)});
    hub_rollout_state state{};
    state.struct_size = sizeof state;
    state.rollout_id = str("r-1");
    state.service = str("svc");
    state.from_version = str("v1");
    state.to_version = str("v2");
    state.batch_size = batch_;
    state.paused = paused;
    state.now_unix_us = now_us;
    state.instances = views.data();
    state.instance_count = views.size();
    state.params = kvs.data();
    state.param_count = kvs.size();
    state.rolling_back = rolling_back;
    state.promote_requested = promote_requested;
    state.step = step_;
    state.step_started_unix_us = step_started_us_;
    state.weight_percent = weight;
    state.gate = gate;
    state.gate_reason = str(gate_reason);
    const hub_rollout_action* actions = nullptr;
    size_t count = 0;
    const auto& vtable = handle_->vtable<hub_deployment_coordinator_vtable>();
    const hub_status status = vtable.next_step(handle_->handle(), &state, &actions, &count);
    if (status != HUB_OK) {
      error = handle_->last_error();
      return status;
    }
    for (size_t i = 0; i < count; ++i) apply(actions[i]);
    return status;
  }

  // Steps, moving the clock a second each time, until the plugin says done or `limit` steps pass.
  bool run(int limit = 500) {
    for (int i = 0; i < limit && !done; ++i) {
      if (step() != HUB_OK) return false;
      now_us += 1'000'000;
      size_t out = 0;
      for (const Member& m : members) out += m.draining || m.health != HUB_HEALTH_HEALTHY;
      most_out = std::max(most_out, out);
    }
    return done;
  }

  size_t at(const std::string& version) const {
    return static_cast<size_t>(std::count_if(members.begin(), members.end(), [&](const Member& m) { return m.version == version; }));
  }
  Member* find(std::string_view id) {
    for (Member& m : members)
      if (m.id == id) return &m;
    return nullptr;
  }

  std::vector<Member> members;
  std::vector<hub_rollout_action_type> log;
  std::vector<uint32_t> weights;  // every SET_WEIGHT, in order
  std::string error;
  int64_t now_us = 1'000'000'000;
  int32_t weight = -1;
  hub_rollout_gate gate = HUB_GATE_PASSING;
  std::string gate_reason = "ok";
  bool paused = false, rolling_back = false, promote_requested = false, promoted = false, done = false;
  size_t drains = 0, most_out = 0;
  std::vector<std::string> retired;

 private:
  void apply(const hub_rollout_action& action) {
    log.push_back(action.type);
    Member* member = find(view(action.instance_id));
    switch (action.type) {
      case HUB_ROLLOUT_DRAIN:
        ++drains;
        member->draining = true;
        member->draining_since_us = now_us;
        break;
      case HUB_ROLLOUT_UPGRADE:  // the instance restarts at once, and is healthy from now
        member->version = rolling_back ? "v1" : "v2";
        member->healthy_since_us = now_us;
        break;
      case HUB_ROLLOUT_RESTORE:
        member->draining = false;
        break;
      case HUB_ROLLOUT_RETIRE:
        member->draining = true;
        retired.push_back(member->id);
        break;
      case HUB_ROLLOUT_SET_WEIGHT:
        weight = static_cast<int32_t>(action.weight_percent);
        weights.push_back(action.weight_percent);
        break;
      case HUB_ROLLOUT_NEXT_STEP:
        ++step_;
        step_started_us_ = now_us;
        break;
      case HUB_ROLLOUT_ROLL_BACK:
        rolling_back = true;
        break;
      case HUB_ROLLOUT_PROMOTE:
        promoted = true;
        break;
      case HUB_ROLLOUT_PAUSE:
        paused = true;
        break;
      case HUB_ROLLOUT_DONE:
        done = true;
        break;
      default:
        break;
    }
  }

  std::map<std::string, std::string> params_;
  uint32_t batch_;
  std::unique_ptr<PluginInstance> handle_;
  uint32_t step_ = 0;
  int64_t step_started_us_ = 1'000'000'000;
};

TEST(RollingStrategy, UpgradesEveryInstanceInBatchesNeverMoreOutThanAllowed) {
  Fleet fleet("rolling", 10, {{"min_ready_seconds", "2"}}, 2);
  ASSERT_TRUE(fleet.run()) << fleet.error;
  EXPECT_EQ(fleet.at("v2"), 10u);
  EXPECT_TRUE(fleet.promoted);
  EXPECT_EQ(fleet.drains, 10u);
  EXPECT_EQ(fleet.most_out, 2u);
  for (const Member& m : fleet.members) EXPECT_FALSE(m.draining) << m.id;
}

TEST(RollingStrategy, MaxUnavailableCountsInstancesAlreadyDown) {
  Fleet fleet("rolling", 6, {{"max_unavailable", "2"}, {"min_ready_seconds", "0"}}, 2);
  fleet.members[5].health = HUB_HEALTH_DOWN;  // one out already: one slot left per batch
  ASSERT_EQ(fleet.step(), HUB_OK);
  size_t draining = 0;
  for (const Member& m : fleet.members) draining += m.draining;
  EXPECT_EQ(draining, 1u);
  EXPECT_TRUE(fleet.find("i-5")->draining) << "the unhealthy instance goes first: upgrading it costs no capacity";
}

TEST(RollingStrategy, AFailingGateRollsBackAndTheRollbackBringsEveryInstanceBack) {
  Fleet fleet("rolling", 4, {{"min_ready_seconds", "0"}}, 2);
  for (int i = 0; i < 3; ++i) ASSERT_EQ(fleet.step(), HUB_OK);
  ASSERT_GT(fleet.at("v2"), 0u);
  fleet.gate = HUB_GATE_FAILING;
  fleet.gate_reason = "error rate 40% against 1%";
  ASSERT_EQ(fleet.step(), HUB_OK);
  EXPECT_TRUE(fleet.rolling_back);
  ASSERT_TRUE(fleet.run()) << fleet.error;
  EXPECT_FALSE(fleet.promoted);
  EXPECT_EQ(fleet.at("v1"), 4u);
}

TEST(RollingStrategy, RefusesUnknownAndInvalidParams) {
  Fleet typo("rolling", 2, {{"max_unavailble", "1"}});
  EXPECT_EQ(typo.step(), HUB_INVALID_ARGUMENT);
  EXPECT_NE(typo.error.find("max_unavailble"), std::string::npos) << typo.error;
  Fleet zero("rolling", 2, {{"max_unavailable", "0"}});
  EXPECT_EQ(zero.step(), HUB_INVALID_ARGUMENT);
  EXPECT_NE(zero.error.find("max_unavailable"), std::string::npos) << zero.error;
  Fleet text("rolling", 2, {{"drain_seconds", "soon"}});
  EXPECT_EQ(text.step(), HUB_INVALID_ARGUMENT);
}

TEST(RollingStrategy, WaitsForTheDrainBeforeTheUpgrade) {
  Fleet fleet("rolling", 2, {{"drain_seconds", "5"}}, 1);
  ASSERT_EQ(fleet.step(), HUB_OK);
  Member* drained = fleet.find("i-0");
  ASSERT_TRUE(drained->draining);
  fleet.now_us += 4'000'000;
  ASSERT_EQ(fleet.step(), HUB_OK);
  EXPECT_EQ(drained->version, "v1");
  fleet.now_us += 1'000'000;
  ASSERT_EQ(fleet.step(), HUB_OK);
  EXPECT_EQ(drained->version, "v2");
}

TEST(CanaryStrategy, GrowsTheWeightStepByStepWithTheInstancesToMatch) {
  Fleet fleet("canary", 10,
              {{"steps.0.weight", "10"},
               {"steps.0.pause_seconds", "5"},
               {"steps.1.weight", "50"},
               {"steps.1.pause_seconds", "5"},
               {"min_ready_seconds", "0"}},
              2);
  // Until the first step's instance is ready, the canary gets nothing.
  ASSERT_EQ(fleet.step(), HUB_OK);
  EXPECT_EQ(fleet.weight, 0);
  ASSERT_TRUE(fleet.run()) << fleet.error;
  EXPECT_EQ(fleet.weights, (std::vector<uint32_t>{0, 10, 50, 100}));
  EXPECT_TRUE(fleet.promoted);
  EXPECT_EQ(fleet.at("v2"), 10u);
}

TEST(RollingStrategy, BakesThePromotedVersionUnderTheGatesAndAFailureThenRollsBack) {
  Fleet fleet("rolling", 2, {{"bake_seconds", "30"}, {"min_ready_seconds", "0"}}, 2);
  ASSERT_FALSE(fleet.run(10));
  EXPECT_TRUE(fleet.promoted);
  EXPECT_EQ(fleet.at("v2"), 2u);
  fleet.gate = HUB_GATE_FAILING;
  ASSERT_EQ(fleet.step(), HUB_OK);
  EXPECT_TRUE(fleet.rolling_back);
  ASSERT_TRUE(fleet.run()) << fleet.error;
  EXPECT_EQ(fleet.at("v1"), 2u);
}

TEST(CanaryStrategy, StepWeightMovesOnlyAsManyInstancesAsItsShare) {
  Fleet fleet("canary", 10, {{"steps.0.weight", "20"}, {"steps.0.pause_seconds", "600"}, {"min_ready_seconds", "0"}}, 5);
  for (int i = 0; i < 20; ++i) {
    ASSERT_EQ(fleet.step(), HUB_OK);
    fleet.now_us += 1'000'000;
  }
  EXPECT_EQ(fleet.at("v2"), 2u);
  EXPECT_EQ(fleet.weight, 20);
  EXPECT_FALSE(fleet.done);
}

TEST(CanaryStrategy, AFailingGateRollsBackWithTheWeightAtZeroFirst) {
  Fleet fleet("canary", 4, {{"steps.0.weight", "25"}, {"steps.0.pause_seconds", "60"}, {"min_ready_seconds", "0"}}, 1);
  for (int i = 0; i < 6; ++i) {
    ASSERT_EQ(fleet.step(), HUB_OK);
    fleet.now_us += 1'000'000;
  }
  ASSERT_EQ(fleet.weight, 25);
  fleet.gate = HUB_GATE_FAILING;
  ASSERT_EQ(fleet.step(), HUB_OK);
  ASSERT_TRUE(fleet.rolling_back);
  ASSERT_EQ(fleet.step(), HUB_OK);
  EXPECT_EQ(fleet.weight, 0) << "the canary loses its calls before anything else";
  ASSERT_TRUE(fleet.run()) << fleet.error;
  EXPECT_EQ(fleet.at("v1"), 4u);
  EXPECT_FALSE(fleet.promoted);
}

TEST(CanaryStrategy, APendingGateHoldsTheStepAfterItsPause) {
  Fleet fleet("canary", 4, {{"steps.0.weight", "25"}, {"steps.0.pause_seconds", "2"}, {"min_ready_seconds", "0"}}, 1);
  fleet.gate = HUB_GATE_PENDING;
  fleet.gate_reason = "3 calls of the 20 needed";
  ASSERT_FALSE(fleet.run(30));
  EXPECT_EQ(fleet.at("v2"), 1u);
  fleet.gate = HUB_GATE_PASSING;
  ASSERT_TRUE(fleet.run()) << fleet.error;
  EXPECT_EQ(fleet.at("v2"), 4u);
}

TEST(CanaryStrategy, PromoteSkipsTheRemainingStepsAndPauses) {
  Fleet fleet("canary", 4, {{"steps.0.weight", "25"}, {"steps.0.pause_seconds", "3600"}, {"min_ready_seconds", "0"}}, 4);
  for (int i = 0; i < 5; ++i) ASSERT_EQ(fleet.step(), HUB_OK);
  fleet.promote_requested = true;
  ASSERT_TRUE(fleet.run(20)) << fleet.error;
  EXPECT_TRUE(fleet.promoted);
  EXPECT_EQ(fleet.at("v2"), 4u);
}

TEST(CanaryStrategy, RefusesStepsThatShrinkOrLeaveTheRange) {
  Fleet shrinking("canary", 2, {{"steps.0.weight", "50"}, {"steps.1.weight", "20"}});
  EXPECT_EQ(shrinking.step(), HUB_INVALID_ARGUMENT);
  EXPECT_NE(shrinking.error.find("steps.1.weight"), std::string::npos) << shrinking.error;
  Fleet over("canary", 2, {{"steps.0.weight", "150"}});
  EXPECT_EQ(over.step(), HUB_INVALID_ARGUMENT);
  Fleet pause_only("canary", 2, {{"steps.0.pause_seconds", "5"}});
  EXPECT_EQ(pause_only.step(), HUB_INVALID_ARGUMENT);
}

// Green instances are started by whatever deploys them; the test adds them.
void add_green(Fleet& fleet, size_t count) {
  for (size_t i = 0; i < count; ++i) fleet.members.push_back({"g-" + std::to_string(i), "v2", HUB_HEALTH_HEALTHY, false, fleet.now_us});
}

TEST(BlueGreenStrategy, SwitchesOnceGreenIsReadyThenRetiresBlueAfterTheWindow) {
  Fleet fleet("blue_green", 3, {{"rollback_window_seconds", "10"}, {"min_ready_seconds", "2"}});
  ASSERT_EQ(fleet.step(), HUB_OK);
  EXPECT_EQ(fleet.weight, 0);
  for (int i = 0; i < 5; ++i) ASSERT_EQ(fleet.step(), HUB_OK);
  EXPECT_EQ(fleet.weight, 0) << "no green yet";
  add_green(fleet, 3);
  fleet.now_us += 3'000'000;
  ASSERT_EQ(fleet.step(), HUB_OK);
  EXPECT_EQ(fleet.weight, 100);
  fleet.now_us += 5'000'000;
  ASSERT_EQ(fleet.step(), HUB_OK);
  EXPECT_TRUE(fleet.retired.empty()) << "the rollback window is still open";
  ASSERT_TRUE(fleet.run()) << fleet.error;
  EXPECT_TRUE(fleet.promoted);
  EXPECT_EQ(fleet.retired, (std::vector<std::string>{"i-0", "i-1", "i-2"}));
}

TEST(BlueGreenStrategy, AFailingGateAfterTheSwitchSwitchesBackAndRetiresGreen) {
  Fleet fleet("blue_green", 2, {{"rollback_window_seconds", "60"}, {"min_ready_seconds", "0"}});
  add_green(fleet, 2);
  ASSERT_EQ(fleet.step(), HUB_OK);
  ASSERT_EQ(fleet.weight, 100);
  fleet.gate = HUB_GATE_FAILING;
  ASSERT_EQ(fleet.step(), HUB_OK);
  ASSERT_TRUE(fleet.rolling_back);
  ASSERT_EQ(fleet.step(), HUB_OK);
  EXPECT_EQ(fleet.weight, 0);
  EXPECT_TRUE(fleet.done);
  EXPECT_TRUE(fleet.promoted) << "the switch promoted it; the hub undoes the promotion's config when it rolls back";
  EXPECT_EQ(fleet.retired, (std::vector<std::string>{"g-0", "g-1"}));
}

TEST(BlueGreenStrategy, PauseBeforeSwitchWaitsForAnOperator) {
  Fleet fleet("blue_green", 1, {{"pause_before_switch", "true"}, {"min_ready_seconds", "0"}});
  add_green(fleet, 1);
  ASSERT_EQ(fleet.step(), HUB_OK);
  EXPECT_TRUE(fleet.paused);
  EXPECT_EQ(fleet.weight, 0);
  fleet.paused = false;  // resumed
  ASSERT_EQ(fleet.step(), HUB_OK);
  EXPECT_EQ(fleet.weight, 100);
}

}  // namespace
}  // namespace hub
