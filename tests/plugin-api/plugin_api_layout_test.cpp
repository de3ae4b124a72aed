// Golden layout of every struct in plugin_api.h on LP64 Linux (x86_64, aarch64).
// Plugins built years ago depend on these numbers. A change here means a
// changed ABI: append members instead, and bump HUB_PLUGIN_ABI_MINOR.
#include <hub/plugin_api.h>

#include <gtest/gtest.h>

#include <cstddef>

static_assert(sizeof(void*) == 8 && sizeof(size_t) == 8, "the golden layout is for LP64 platforms");

TEST(PluginApiLayout, VersionPacking) {
  EXPECT_EQ(HUB_MAKE_VERSION(1, 2, 3), 0x01020003u);
  EXPECT_EQ(HUB_VERSION_MAJOR(0x01020003u), 1u);
  EXPECT_EQ(HUB_VERSION_MINOR(0x01020003u), 2u);
  EXPECT_EQ(HUB_VERSION_PATCH(0x01020003u), 3u);
  EXPECT_EQ(HUB_PLUGIN_ABI_VERSION, HUB_MAKE_VERSION(1, 2, 0));
}

TEST(PluginApiLayout, StatusCodesAreAbseils) {
  EXPECT_EQ(HUB_OK, 0);
  EXPECT_EQ(HUB_INVALID_ARGUMENT, 3);
  EXPECT_EQ(HUB_NOT_FOUND, 5);
  EXPECT_EQ(HUB_FAILED_PRECONDITION, 9);
  EXPECT_EQ(HUB_INTERNAL, 13);
  EXPECT_EQ(HUB_UNAVAILABLE, 14);
  EXPECT_EQ(HUB_UNAUTHENTICATED, 16);
}

TEST(PluginApiLayout, HasMemberHonoursStructSize) {
  hub_health_probe_vtable vtable{};
  vtable.struct_size = offsetof(hub_health_probe_vtable, cancel);
  EXPECT_TRUE(HUB_HAS_MEMBER(&vtable, hub_health_probe_vtable, check));
  EXPECT_FALSE(HUB_HAS_MEMBER(&vtable, hub_health_probe_vtable, cancel));
  vtable.struct_size = sizeof vtable;
  EXPECT_TRUE(HUB_HAS_MEMBER(&vtable, hub_health_probe_vtable, cancel));
}

TEST(PluginApiLayout, GoldenOffsetsAndSizes) {
  EXPECT_EQ(sizeof(hub_str), 16u);
  EXPECT_EQ(offsetof(hub_str, ptr), 0u);
  EXPECT_EQ(offsetof(hub_str, len), 8u);
  EXPECT_EQ(sizeof(hub_kv), 32u);
  EXPECT_EQ(offsetof(hub_kv, key), 0u);
  EXPECT_EQ(offsetof(hub_kv, value), 16u);
  EXPECT_EQ(sizeof(hub_host), 64u);
  EXPECT_EQ(offsetof(hub_host, struct_size), 0u);
  EXPECT_EQ(offsetof(hub_host, abi_version), 4u);
  EXPECT_EQ(offsetof(hub_host, host_ctx), 8u);
  EXPECT_EQ(offsetof(hub_host, log), 16u);
  EXPECT_EQ(offsetof(hub_host, counter_add), 24u);
  EXPECT_EQ(offsetof(hub_host, gauge_set), 32u);
  EXPECT_EQ(offsetof(hub_host, histogram_observe), 40u);
  EXPECT_EQ(offsetof(hub_host, now_unix_us), 48u);
  EXPECT_EQ(offsetof(hub_host, monotonic_us), 56u);
  EXPECT_EQ(sizeof(hub_config), 72u);
  EXPECT_EQ(offsetof(hub_config, struct_size), 0u);
  EXPECT_EQ(offsetof(hub_config, id), 8u);
  EXPECT_EQ(offsetof(hub_config, json), 24u);
  EXPECT_EQ(offsetof(hub_config, entries), 40u);
  EXPECT_EQ(offsetof(hub_config, entry_count), 48u);
  EXPECT_EQ(offsetof(hub_config, keys_ctx), 56u);  // since 1.1
  EXPECT_EQ(offsetof(hub_config, declare_key), 64u);
  EXPECT_EQ(sizeof(hub_instance_record), 152u);
  EXPECT_EQ(offsetof(hub_instance_record, struct_size), 0u);
  EXPECT_EQ(offsetof(hub_instance_record, service), 8u);
  EXPECT_EQ(offsetof(hub_instance_record, instance_id), 24u);
  EXPECT_EQ(offsetof(hub_instance_record, host), 40u);
  EXPECT_EQ(offsetof(hub_instance_record, port), 56u);
  EXPECT_EQ(offsetof(hub_instance_record, protocol), 64u);
  EXPECT_EQ(offsetof(hub_instance_record, health_endpoint), 80u);
  EXPECT_EQ(offsetof(hub_instance_record, version), 96u);
  EXPECT_EQ(offsetof(hub_instance_record, weight), 112u);
  EXPECT_EQ(offsetof(hub_instance_record, tags), 120u);
  EXPECT_EQ(offsetof(hub_instance_record, tag_count), 128u);
  EXPECT_EQ(offsetof(hub_instance_record, metadata_json), 136u);
  EXPECT_EQ(sizeof(hub_discovery_sink), 40u);
  EXPECT_EQ(offsetof(hub_discovery_sink, struct_size), 0u);
  EXPECT_EQ(offsetof(hub_discovery_sink, sink_ctx), 8u);
  EXPECT_EQ(offsetof(hub_discovery_sink, snapshot), 16u);
  EXPECT_EQ(offsetof(hub_discovery_sink, upsert), 24u);
  EXPECT_EQ(offsetof(hub_discovery_sink, remove), 32u);
  EXPECT_EQ(sizeof(hub_liveness_input), 64u);
  EXPECT_EQ(offsetof(hub_liveness_input, struct_size), 0u);
  EXPECT_EQ(offsetof(hub_liveness_input, service), 8u);
  EXPECT_EQ(offsetof(hub_liveness_input, instance_id), 24u);
  EXPECT_EQ(offsetof(hub_liveness_input, status), 40u);
  EXPECT_EQ(offsetof(hub_liveness_input, silent_for_us), 48u);
  EXPECT_EQ(offsetof(hub_liveness_input, down_for_us), 56u);
  EXPECT_EQ(sizeof(hub_discovery_vtable), 56u);
  EXPECT_EQ(offsetof(hub_discovery_vtable, struct_size), 0u);
  EXPECT_EQ(offsetof(hub_discovery_vtable, create), 8u);
  EXPECT_EQ(offsetof(hub_discovery_vtable, destroy), 16u);
  EXPECT_EQ(offsetof(hub_discovery_vtable, get_last_error), 24u);
  EXPECT_EQ(offsetof(hub_discovery_vtable, start), 32u);
  EXPECT_EQ(offsetof(hub_discovery_vtable, stop), 40u);
  EXPECT_EQ(offsetof(hub_discovery_vtable, assess_liveness), 48u);
  EXPECT_EQ(sizeof(hub_probe_target), 80u);
  EXPECT_EQ(offsetof(hub_probe_target, struct_size), 0u);
  EXPECT_EQ(offsetof(hub_probe_target, name), 8u);
  EXPECT_EQ(offsetof(hub_probe_target, host), 24u);
  EXPECT_EQ(offsetof(hub_probe_target, port), 40u);
  EXPECT_EQ(offsetof(hub_probe_target, endpoint), 48u);
  EXPECT_EQ(offsetof(hub_probe_target, attributes), 64u);
  EXPECT_EQ(offsetof(hub_probe_target, attribute_count), 72u);
  EXPECT_EQ(sizeof(hub_probe_result), 32u);
  EXPECT_EQ(offsetof(hub_probe_result, struct_size), 0u);
  EXPECT_EQ(offsetof(hub_probe_result, status), 4u);
  EXPECT_EQ(offsetof(hub_probe_result, latency_us), 8u);
  EXPECT_EQ(offsetof(hub_probe_result, message), 16u);
  EXPECT_EQ(sizeof(hub_probe_reporter), 24u);
  EXPECT_EQ(offsetof(hub_probe_reporter, struct_size), 0u);
  EXPECT_EQ(offsetof(hub_probe_reporter, reporter_ctx), 8u);
  EXPECT_EQ(offsetof(hub_probe_reporter, report), 16u);
  EXPECT_EQ(sizeof(hub_vtable_header), 32u);
  EXPECT_EQ(offsetof(hub_vtable_header, struct_size), 0u);
  EXPECT_EQ(offsetof(hub_vtable_header, create), 8u);
  EXPECT_EQ(offsetof(hub_vtable_header, destroy), 16u);
  EXPECT_EQ(offsetof(hub_vtable_header, get_last_error), 24u);
  EXPECT_EQ(sizeof(hub_health_probe_vtable), 48u);
  EXPECT_EQ(offsetof(hub_health_probe_vtable, struct_size), 0u);
  EXPECT_EQ(offsetof(hub_health_probe_vtable, create), 8u);
  EXPECT_EQ(offsetof(hub_health_probe_vtable, destroy), 16u);
  EXPECT_EQ(offsetof(hub_health_probe_vtable, get_last_error), 24u);
  EXPECT_EQ(offsetof(hub_health_probe_vtable, check), 32u);
  EXPECT_EQ(offsetof(hub_health_probe_vtable, cancel), 40u);
  EXPECT_EQ(sizeof(hub_lb_candidate), 80u);
  EXPECT_EQ(offsetof(hub_lb_candidate, struct_size), 0u);
  EXPECT_EQ(offsetof(hub_lb_candidate, instance_id), 8u);
  EXPECT_EQ(offsetof(hub_lb_candidate, host), 24u);
  EXPECT_EQ(offsetof(hub_lb_candidate, port), 40u);
  EXPECT_EQ(offsetof(hub_lb_candidate, weight), 44u);
  EXPECT_EQ(offsetof(hub_lb_candidate, health), 48u);
  EXPECT_EQ(offsetof(hub_lb_candidate, load), 56u);
  EXPECT_EQ(offsetof(hub_lb_candidate, latency_us), 64u);
  EXPECT_EQ(offsetof(hub_lb_candidate, active_requests), 72u);
  EXPECT_EQ(sizeof(hub_lb_load), 24u);  // since 1.2
  EXPECT_EQ(offsetof(hub_lb_load, active_requests), 4u);
  EXPECT_EQ(offsetof(hub_lb_load, latency_us), 8u);
  EXPECT_EQ(offsetof(hub_lb_load, load), 16u);
  EXPECT_EQ(sizeof(hub_lb_live), 24u);
  EXPECT_EQ(offsetof(hub_lb_live, live_ctx), 8u);
  EXPECT_EQ(offsetof(hub_lb_live, read), 16u);
  EXPECT_EQ(sizeof(hub_load_balancer_vtable), 56u);
  EXPECT_EQ(offsetof(hub_load_balancer_vtable, struct_size), 0u);
  EXPECT_EQ(offsetof(hub_load_balancer_vtable, create), 8u);
  EXPECT_EQ(offsetof(hub_load_balancer_vtable, destroy), 16u);
  EXPECT_EQ(offsetof(hub_load_balancer_vtable, get_last_error), 24u);
  EXPECT_EQ(offsetof(hub_load_balancer_vtable, update_candidates), 32u);
  EXPECT_EQ(offsetof(hub_load_balancer_vtable, pick), 40u);
  EXPECT_EQ(offsetof(hub_load_balancer_vtable, pick_live), 48u);  // since 1.2
  EXPECT_EQ(sizeof(hub_circuit_decision), 24u);
  EXPECT_EQ(offsetof(hub_circuit_decision, struct_size), 0u);
  EXPECT_EQ(offsetof(hub_circuit_decision, state), 4u);
  EXPECT_EQ(offsetof(hub_circuit_decision, permitted), 8u);
  EXPECT_EQ(offsetof(hub_circuit_decision, retry_after_us), 16u);
  EXPECT_EQ(sizeof(hub_circuit_figures), 48u);  // since 1.2
  EXPECT_EQ(offsetof(hub_circuit_figures, state), 4u);
  EXPECT_EQ(offsetof(hub_circuit_figures, failure_rate), 8u);
  EXPECT_EQ(offsetof(hub_circuit_figures, slow_call_rate), 16u);
  EXPECT_EQ(offsetof(hub_circuit_figures, calls), 24u);
  EXPECT_EQ(offsetof(hub_circuit_figures, trial_calls), 28u);
  EXPECT_EQ(offsetof(hub_circuit_figures, opened_at_us), 32u);
  EXPECT_EQ(offsetof(hub_circuit_figures, retry_at_us), 40u);
  EXPECT_EQ(sizeof(hub_circuit_breaker_vtable), 72u);
  EXPECT_EQ(offsetof(hub_circuit_breaker_vtable, struct_size), 0u);
  EXPECT_EQ(offsetof(hub_circuit_breaker_vtable, create), 8u);
  EXPECT_EQ(offsetof(hub_circuit_breaker_vtable, destroy), 16u);
  EXPECT_EQ(offsetof(hub_circuit_breaker_vtable, get_last_error), 24u);
  EXPECT_EQ(offsetof(hub_circuit_breaker_vtable, acquire), 32u);
  EXPECT_EQ(offsetof(hub_circuit_breaker_vtable, record), 40u);
  EXPECT_EQ(offsetof(hub_circuit_breaker_vtable, state), 48u);
  EXPECT_EQ(offsetof(hub_circuit_breaker_vtable, describe), 56u);  // since 1.2
  EXPECT_EQ(offsetof(hub_circuit_breaker_vtable, restore), 64u);
  EXPECT_EQ(sizeof(hub_rollout_instance), 72u);
  EXPECT_EQ(offsetof(hub_rollout_instance, struct_size), 0u);
  EXPECT_EQ(offsetof(hub_rollout_instance, instance_id), 8u);
  EXPECT_EQ(offsetof(hub_rollout_instance, version), 24u);
  EXPECT_EQ(offsetof(hub_rollout_instance, health), 40u);
  EXPECT_EQ(offsetof(hub_rollout_instance, draining), 44u);
  EXPECT_EQ(offsetof(hub_rollout_instance, healthy_for_us), 48u);  // since 1.2
  EXPECT_EQ(offsetof(hub_rollout_instance, draining_for_us), 56u);
  EXPECT_EQ(offsetof(hub_rollout_instance, directed), 64u);
  EXPECT_EQ(sizeof(hub_rollout_state), 208u);
  EXPECT_EQ(offsetof(hub_rollout_state, struct_size), 0u);
  EXPECT_EQ(offsetof(hub_rollout_state, rollout_id), 8u);
  EXPECT_EQ(offsetof(hub_rollout_state, service), 24u);
  EXPECT_EQ(offsetof(hub_rollout_state, from_version), 40u);
  EXPECT_EQ(offsetof(hub_rollout_state, to_version), 56u);
  EXPECT_EQ(offsetof(hub_rollout_state, strategy), 72u);
  EXPECT_EQ(offsetof(hub_rollout_state, batch_size), 88u);
  EXPECT_EQ(offsetof(hub_rollout_state, paused), 92u);
  EXPECT_EQ(offsetof(hub_rollout_state, started_unix_us), 96u);
  EXPECT_EQ(offsetof(hub_rollout_state, now_unix_us), 104u);
  EXPECT_EQ(offsetof(hub_rollout_state, params_json), 112u);
  EXPECT_EQ(offsetof(hub_rollout_state, instances), 128u);
  EXPECT_EQ(offsetof(hub_rollout_state, instance_count), 136u);
  EXPECT_EQ(offsetof(hub_rollout_state, params), 144u);  // since 1.2
  EXPECT_EQ(offsetof(hub_rollout_state, param_count), 152u);
  EXPECT_EQ(offsetof(hub_rollout_state, rolling_back), 160u);
  EXPECT_EQ(offsetof(hub_rollout_state, promote_requested), 164u);
  EXPECT_EQ(offsetof(hub_rollout_state, step), 168u);
  EXPECT_EQ(offsetof(hub_rollout_state, step_started_unix_us), 176u);
  EXPECT_EQ(offsetof(hub_rollout_state, weight_percent), 184u);
  EXPECT_EQ(offsetof(hub_rollout_state, gate), 188u);
  EXPECT_EQ(offsetof(hub_rollout_state, gate_reason), 192u);
  EXPECT_EQ(sizeof(hub_rollout_action), 56u);
  EXPECT_EQ(offsetof(hub_rollout_action, struct_size), 0u);
  EXPECT_EQ(offsetof(hub_rollout_action, type), 4u);
  EXPECT_EQ(offsetof(hub_rollout_action, instance_id), 8u);
  EXPECT_EQ(offsetof(hub_rollout_action, wait_us), 24u);
  EXPECT_EQ(offsetof(hub_rollout_action, reason), 32u);
  EXPECT_EQ(offsetof(hub_rollout_action, weight_percent), 48u);  // since 1.2
  EXPECT_EQ(sizeof(hub_deployment_coordinator_vtable), 40u);
  EXPECT_EQ(offsetof(hub_deployment_coordinator_vtable, struct_size), 0u);
  EXPECT_EQ(offsetof(hub_deployment_coordinator_vtable, create), 8u);
  EXPECT_EQ(offsetof(hub_deployment_coordinator_vtable, destroy), 16u);
  EXPECT_EQ(offsetof(hub_deployment_coordinator_vtable, get_last_error), 24u);
  EXPECT_EQ(offsetof(hub_deployment_coordinator_vtable, next_step), 32u);
  EXPECT_EQ(sizeof(hub_implementation), 24u);
  EXPECT_EQ(offsetof(hub_implementation, struct_size), 0u);
  EXPECT_EQ(offsetof(hub_implementation, kind), 4u);
  EXPECT_EQ(offsetof(hub_implementation, name), 8u);
  EXPECT_EQ(offsetof(hub_implementation, vtable), 16u);
  EXPECT_EQ(sizeof(hub_plugin_descriptor), 48u);
  EXPECT_EQ(offsetof(hub_plugin_descriptor, struct_size), 0u);
  EXPECT_EQ(offsetof(hub_plugin_descriptor, abi_version), 4u);
  EXPECT_EQ(offsetof(hub_plugin_descriptor, name), 8u);
  EXPECT_EQ(offsetof(hub_plugin_descriptor, version), 16u);
  EXPECT_EQ(offsetof(hub_plugin_descriptor, description), 24u);
  EXPECT_EQ(offsetof(hub_plugin_descriptor, implementations), 32u);
  EXPECT_EQ(offsetof(hub_plugin_descriptor, implementation_count), 40u);
}
