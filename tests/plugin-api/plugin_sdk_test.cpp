// The C++ SDK, linked statically and driven through the C ABI exactly as the
// hub drives a shared library: every kind's adapter, config access, and the
// exception barrier.
#include <hub/errors.hpp>
#include <hub/plugin.hpp>
#include "plugin_host/plugin_instance.hpp"
#include "plugin_host/plugin_loader.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>

namespace {

class StaticSource {
 public:
  explicit StaticSource(const hub::Context& context) : service_(context.config.required_string("service")) {}
  void start(hub::DiscoverySink sink) {
    sink.snapshot({{.service = service_, .instance_id = "a", .host = "10.0.0.1", .port = 80, .tags = {"blue"}}});
  }
  void stop() {}
  hub_liveness_action assess_liveness(const hub_liveness_input& input) {
    return input.silent_for_us > 90'000'000 ? HUB_LIVENESS_MARK_DOWN : HUB_LIVENESS_KEEP;
  }

 private:
  std::string service_;
};

class RoundRobin {
 public:
  explicit RoundRobin(const hub::Context&) {}
  void update(std::span<const hub_lb_candidate> candidates) { count_ = candidates.size(); }
  std::optional<size_t> pick(std::string_view, uint64_t) {
    if (count_ == 0) return std::nullopt;
    return next_++ % count_;
  }

 private:
  size_t count_ = 0;
  std::atomic<size_t> next_{0};
};

class TripAfterOne {
 public:
  explicit TripAfterOne(const hub::Context&) {}
  hub_circuit_decision acquire(int64_t) { return {sizeof(hub_circuit_decision), state_, state_ != HUB_CIRCUIT_OPEN, 0}; }
  void record(hub_call_outcome outcome, int64_t, int64_t) {
    if (outcome != HUB_CALL_SUCCESS) state_ = HUB_CIRCUIT_OPEN;
  }
  hub_circuit_state state(int64_t) { return state_; }

 private:
  hub_circuit_state state_ = HUB_CIRCUIT_CLOSED;
};

class DrainFirst {
 public:
  explicit DrainFirst(const hub::Context&) {}
  std::vector<hub::RolloutAction> next_step(const hub::Rollout& rollout) {
    const auto instances = rollout.instances();
    if (instances.empty()) return {{.type = HUB_ROLLOUT_DONE, .reason = "no instances"}};
    const int64_t wait_seconds = rollout.params().integer("wait_seconds", 5);
    rollout.refuse_unknown_params();
    return {{.type = HUB_ROLLOUT_DRAIN, .instance_id = std::string(instances[0].id), .reason = "batch 1"},
            {.type = HUB_ROLLOUT_WAIT, .wait_us = wait_seconds * 1'000'000}};
  }
};

class ConfigEcho {
 public:
  explicit ConfigEcho(const hub::Context& context)
      : text_(context.config.string("name", "none") + "|" + std::to_string(context.config.integer("count", -1)) + "|" +
              std::to_string(context.config.boolean("on", false)) + "|" + std::string(context.config.id())) {
    context.host.info("configured " + text_);
  }
  hub::ProbeResult check(const hub::ProbeTarget&, hub::Deadline) { return hub::ProbeResult::healthy(text_); }

 private:
  std::string text_;
};

class AsyncProbe {
 public:
  explicit AsyncProbe(const hub::Context&) {}
  void check_async(const hub::ProbeTarget&, hub::Deadline, hub::ProbeReporter reporter) {
    worker_ = std::thread([reporter] { reporter.report(hub::ProbeResult::degraded("slow", 1234)); });
  }
  ~AsyncProbe() {
    if (worker_.joinable()) worker_.join();
  }

 private:
  std::thread worker_;
};

}  // namespace

HUB_PLUGIN_DESCRIPTOR(sdk_test_plugin, "sdk-test", "2.3.4", "Every kind through the SDK", HUB_DISCOVERY("static", StaticSource),
                      HUB_LOAD_BALANCER("round_robin", RoundRobin), HUB_CIRCUIT_BREAKER("trip_after_one", TripAfterOne),
                      HUB_DEPLOYMENT_COORDINATOR("drain_first", DrainFirst), HUB_HEALTH_PROBE("config_echo", ConfigEcho),
                      HUB_HEALTH_PROBE("async", AsyncProbe))

namespace {

class PluginSdk : public testing::Test {
 protected:
  std::unique_ptr<hub::PluginInstance> make(const std::string& implementation, const std::string& yaml = "{}") {
    hub::HostServices services;
    services.log = [this](const std::string& id, hub_log_level, std::string_view message) {
      logs_.push_back(id + ": " + std::string(message));
    };
    return hub::PluginInstance::create(library_, *library_->find(implementation), implementation, hub::PluginConfig::from_yaml(yaml),
                                       services);
  }
  hub::PluginLoader loader_;
  std::shared_ptr<const hub::PluginLibrary> library_ = loader_.add_static("sdk-test", &sdk_test_plugin);
  std::vector<std::string> logs_;
};

}  // namespace

TEST_F(PluginSdk, TheDescriptorCarriesNameVersionAndAbi) {
  EXPECT_EQ(library_->file(), "static:sdk-test");
  EXPECT_EQ(library_->version(), "2.3.4");
  EXPECT_EQ(library_->abi_version(), HUB_PLUGIN_ABI_VERSION);
  EXPECT_EQ(library_->descriptor().implementation_count, 6u);
}

TEST_F(PluginSdk, DiscoveryDeliversASnapshotAndJudgesLiveness) {
  auto source = make("static", "service: pricing");
  const auto& vtable = source->vtable<hub_discovery_vtable>();
  struct Received {
    std::vector<std::string> seen;
  } received;
  hub_discovery_sink sink{sizeof(hub_discovery_sink), &received,
                          [](void* context, const hub_instance_record* records, size_t count) {
                            for (size_t i = 0; i < count; ++i)
                              static_cast<Received*>(context)->seen.push_back(
                                  std::string(hub::view(records[i].service)) + "/" + std::string(hub::view(records[i].host)) + ":" +
                                  std::to_string(records[i].port) + "#" + std::string(hub::view(records[i].tags[0])));
                          },
                          nullptr, nullptr};
  ASSERT_EQ(vtable.start(source->handle(), &sink), HUB_OK);
  EXPECT_THAT(received.seen, testing::ElementsAre("pricing/10.0.0.1:80#blue"));
  vtable.stop(source->handle());
  ASSERT_NE(vtable.assess_liveness, nullptr);
  hub_liveness_input silent{sizeof(hub_liveness_input), {}, {}, HUB_HEALTH_HEALTHY, 91'000'000, 0};
  EXPECT_EQ(vtable.assess_liveness(source->handle(), &silent), HUB_LIVENESS_MARK_DOWN);
}

TEST_F(PluginSdk, ARequiredConfigKeyThatIsMissingFailsTheCreate) {
  EXPECT_THAT([&] { make("static"); },
              testing::ThrowsMessage<hub::PluginError>(testing::HasSubstr("config key 'service' is required (status 3)")));
}

TEST_F(PluginSdk, LoadBalancerPicksAndSaysUnavailableWithoutCandidates) {
  auto lb = make("round_robin");
  const auto& vtable = lb->vtable<hub_load_balancer_vtable>();
  size_t index = 0;
  EXPECT_EQ(vtable.pick(lb->handle(), {}, 0, &index), HUB_UNAVAILABLE);
  hub_lb_candidate candidates[3]{};
  ASSERT_EQ(vtable.update_candidates(lb->handle(), candidates, 3), HUB_OK);
  std::vector<size_t> picks;
  for (int i = 0; i < 4; ++i) {
    ASSERT_EQ(vtable.pick(lb->handle(), {}, 0, &index), HUB_OK);
    picks.push_back(index);
  }
  EXPECT_THAT(picks, testing::ElementsAre(0, 1, 2, 0));
}

TEST_F(PluginSdk, CircuitBreakerOpensOnFailureAndRespectsTheHostsStructSize) {
  auto cb = make("trip_after_one");
  const auto& vtable = cb->vtable<hub_circuit_breaker_vtable>();
  hub_circuit_decision decision{sizeof decision, -1, -1, -1};
  ASSERT_EQ(vtable.acquire(cb->handle(), 0, &decision), HUB_OK);
  EXPECT_EQ(decision.state, HUB_CIRCUIT_CLOSED);
  EXPECT_EQ(decision.permitted, 1);
  vtable.record(cb->handle(), HUB_CALL_FAILURE, 100, 1);
  EXPECT_EQ(vtable.state(cb->handle(), 2), HUB_CIRCUIT_OPEN);
  // A host of an older minor hands a shorter struct: nothing past it is written.
  hub_circuit_decision shorter{offsetof(hub_circuit_decision, retry_after_us), -1, -1, -7};
  ASSERT_EQ(vtable.acquire(cb->handle(), 3, &shorter), HUB_OK);
  EXPECT_EQ(shorter.permitted, 0);
  EXPECT_EQ(shorter.retry_after_us, -7);
}

TEST_F(PluginSdk, CoordinatorActionsStayValidUntilTheNextCall) {
  auto coordinator = make("drain_first");
  const auto& vtable = coordinator->vtable<hub_deployment_coordinator_vtable>();
  hub_rollout_instance instance{sizeof instance, {"i-1", 3}, {"v1", 2}, HUB_HEALTH_HEALTHY, 0};
  hub_rollout_state state{};
  state.struct_size = sizeof state;
  state.instances = &instance;
  state.instance_count = 1;
  const hub_rollout_action* actions = nullptr;
  size_t count = 0;
  ASSERT_EQ(vtable.next_step(coordinator->handle(), &state, &actions, &count), HUB_OK);
  ASSERT_EQ(count, 2u);
  EXPECT_EQ(actions[0].type, HUB_ROLLOUT_DRAIN);
  EXPECT_EQ(hub::view(actions[0].instance_id), "i-1");
  EXPECT_EQ(hub::view(actions[0].reason), "batch 1");
  EXPECT_EQ(actions[1].type, HUB_ROLLOUT_WAIT);
  EXPECT_EQ(actions[1].wait_us, 5'000'000);
}

TEST_F(PluginSdk, CoordinatorReadsParamsAndRefusesUnknownOnes) {
  auto coordinator = make("drain_first");
  const auto& vtable = coordinator->vtable<hub_deployment_coordinator_vtable>();
  hub_rollout_instance instance{sizeof instance, {"i-1", 3}, {"v1", 2}, HUB_HEALTH_HEALTHY, 0, 0, 0, 0};
  const hub_kv known[] = {{{"wait_seconds", 12}, {"7", 1}}};
  hub_rollout_state state{};
  state.struct_size = sizeof state;
  state.instances = &instance;
  state.instance_count = 1;
  state.params = known;
  state.param_count = 1;
  const hub_rollout_action* actions = nullptr;
  size_t count = 0;
  ASSERT_EQ(vtable.next_step(coordinator->handle(), &state, &actions, &count), HUB_OK);
  ASSERT_EQ(count, 2u);
  EXPECT_EQ(actions[1].wait_us, 7'000'000);

  const hub_kv typo[] = {{{"wait_seconds", 12}, {"7", 1}}, {{"wait_secs", 9}, {"7", 1}}};
  state.params = typo;
  state.param_count = 2;
  EXPECT_EQ(vtable.next_step(coordinator->handle(), &state, &actions, &count), HUB_INVALID_ARGUMENT);
  EXPECT_NE(std::string(vtable.get_last_error(coordinator->handle())).find("wait_secs"), std::string::npos);
}

TEST_F(PluginSdk, ConfigGettersReadTypedValuesAndTheHostLogs) {
  auto probe = make("config_echo", "name: disk\ncount: 3\non: true");
  const auto& vtable = probe->vtable<hub_health_probe_vtable>();
  std::string message;
  hub_probe_reporter reporter{sizeof reporter, &message, [](void* context, const hub_probe_result* result) {
                                *static_cast<std::string*>(context) = std::string(hub::view(result->message));
                              }};
  hub_probe_target target{};
  target.struct_size = sizeof target;
  ASSERT_EQ(vtable.check(probe->handle(), 1, &target, 0, &reporter), HUB_OK);
  EXPECT_EQ(message, "disk|3|1|config_echo");
  EXPECT_THAT(logs_, testing::ElementsAre("config_echo: configured disk|3|1|config_echo"));
}

TEST_F(PluginSdk, AWronglyTypedConfigValueNamesTheKey) {
  EXPECT_THAT([&] { make("config_echo", "count: three"); },
              testing::ThrowsMessage<hub::PluginError>(testing::HasSubstr("config key 'count': expected an integer, got 'three'")));
  EXPECT_THAT([&] { make("config_echo", "on: maybe"); },
              testing::ThrowsMessage<hub::PluginError>(testing::HasSubstr("config key 'on': expected true or false, got 'maybe'")));
}

TEST_F(PluginSdk, AnAsyncProbeReportsFromAnotherThread) {
  auto probe = make("async");
  struct Result {
    std::mutex mutex;
    std::condition_variable done;
    std::optional<std::pair<hub_health, int64_t>> value;
  } result;
  hub_probe_reporter reporter{sizeof reporter, &result, [](void* context, const hub_probe_result* raw) {
                                auto* r = static_cast<Result*>(context);
                                std::lock_guard lock(r->mutex);
                                r->value = {raw->status, raw->latency_us};
                                r->done.notify_all();
                              }};
  hub_probe_target target{};
  target.struct_size = sizeof target;
  ASSERT_EQ(probe->vtable<hub_health_probe_vtable>().check(probe->handle(), 1, &target, 0, &reporter), HUB_OK);
  std::unique_lock lock(result.mutex);
  ASSERT_TRUE(result.done.wait_for(lock, std::chrono::seconds(10), [&] { return result.value.has_value(); }));
  EXPECT_EQ(result.value->first, HUB_HEALTH_DEGRADED);
  EXPECT_EQ(result.value->second, 1234);
  lock.unlock();
  probe.reset();  // joins the worker
}

// ABI 1.1: the SDK declares every key a plugin reads, and the hub refuses the rest.
TEST_F(PluginSdk, AKeyThePluginNeverReadsIsRefusedWithWhereAndWhatWasExpected) {
  EXPECT_THAT([&] { make("config_echo", "{name: x, cuont: 3}"); },
              testing::ThrowsMessage<hub::ManifestError>(
                  testing::StrEq("<plugin config>:1:11: config.cuont: unknown key for implementation 'config_echo' (expected one of: "
                                 "count, name, on)")));
  EXPECT_THAT([&] { make("static", "{service: a, extra: {deep: 1}}"); },
              testing::ThrowsMessage<hub::ManifestError>(testing::HasSubstr("config.extra.deep: unknown key")));
  EXPECT_NE(make("config_echo", "{name: x, count: 3, on: true}"), nullptr);
}

TEST_F(PluginSdk, ASdkPluginOnAnOlderHostDeclaresNothing) {
  // A 1.0 host's hub_config ends before keys_ctx: the SDK must not reach past it.
  const hub_kv entries[] = {{{"cuont", 5}, {"3", 1}}};
  hub_config old_host{static_cast<uint32_t>(offsetof(hub_config, keys_ctx)), {"old", 3}, {"{}", 2}, entries, 1, nullptr, nullptr};
  const auto* vtable = static_cast<const hub_health_probe_vtable*>(library_->find("config_echo")->vtable);
  hub_host host{};
  host.struct_size = sizeof host;
  host.log = [](void*, hub_log_level, hub_str) {};
  void* handle = nullptr;
  ASSERT_EQ(vtable->create(&host, &old_host, &handle), HUB_OK);
  vtable->destroy(handle);
}

TEST(PluginKeys, APlainCPluginThatDeclaresNothingIsNotChecked) {
  hub::PluginLoader loader;
  auto library = loader.load(HUB_FIXTURE_DIR "/fixture-abi-1-0.so");
  const hub_implementation* probe = library->find("echo", HUB_KIND_HEALTH_PROBE);
  ASSERT_NE(probe, nullptr);
  EXPECT_NE(hub::PluginInstance::create(library, *probe, "echo", hub::PluginConfig::from_yaml("{anything: 1}"), {}), nullptr);
}
