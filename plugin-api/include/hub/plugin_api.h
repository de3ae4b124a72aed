/*
 * Central Hub plugin ABI — the whole contract between the hub and its plugins.
 *
 * C99, standard headers only. A plugin is a shared library exporting one
 * function, HUB_PLUGIN_ENTRY_SYMBOL, that returns a descriptor listing named
 * implementations of five kinds (discovery, health_probe, load_balancer,
 * circuit_breaker, deployment_coordinator). Each kind is
 * config -> handle (create) -> hooks -> destroy.
 *
 * Rules that keep plugins built years apart loading:
 *   - Every struct crossing the boundary starts with `uint32_t struct_size`.
 *     Members are only ever appended. A reader uses a member only when
 *     HUB_HAS_MEMBER() says it lies inside struct_size and it is non-null.
 *     Members marked "since 1.0, required" must be present; everything added
 *     after 1.0 is optional on both sides.
 *   - Versions are packed: major<<24 | minor<<16 | patch. The hub accepts a
 *     plugin whose major equals its own and whose minor is not above its own.
 *   - Only C types cross: integers, doubles, hub_str views, opaque handles and
 *     function pointers. No exceptions may cross; no ownership is transferred:
 *     whoever allocates frees.
 *   - Errors are hub_status codes (Abseil's canonical set) with a message from
 *     the vtable's get_last_error.
 *
 * Usage (most authors use the C++ SDK in <hub/plugin.hpp> instead):
 *
 *   static const hub_implementation impls[] = {
 *       {sizeof(hub_implementation), HUB_KIND_HEALTH_PROBE, "my_probe", &my_probe_vtable},
 *   };
 *   HUB_PLUGIN_EXPORT const hub_plugin_descriptor* hub_plugin_entry(uint32_t host_abi) {
 *     static const hub_plugin_descriptor d = {sizeof d, HUB_PLUGIN_ABI_VERSION, "my-plugin",
 *                                             "1.0.0", "What it does", impls, 1};
 *     return &d;
 *   }
 */
#ifndef HUB_PLUGIN_API_H
#define HUB_PLUGIN_API_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- versions */

#define HUB_PLUGIN_ABI_MAJOR 1
#define HUB_PLUGIN_ABI_MINOR 2
#define HUB_PLUGIN_ABI_PATCH 0

#define HUB_MAKE_VERSION(major, minor, patch) ((((uint32_t)(major)) << 24) | (((uint32_t)(minor)) << 16) | ((uint32_t)(patch)))
#define HUB_VERSION_MAJOR(v) (((uint32_t)(v)) >> 24)
#define HUB_VERSION_MINOR(v) ((((uint32_t)(v)) >> 16) & 0xffu)
#define HUB_VERSION_PATCH(v) (((uint32_t)(v)) & 0xffffu)

#define HUB_PLUGIN_ABI_VERSION HUB_MAKE_VERSION(HUB_PLUGIN_ABI_MAJOR, HUB_PLUGIN_ABI_MINOR, HUB_PLUGIN_ABI_PATCH)

/* The one exported symbol. Its type is hub_plugin_entry_fn. */
#define HUB_PLUGIN_ENTRY_SYMBOL "hub_plugin_entry"

#if defined(_WIN32)
#define HUB_PLUGIN_EXPORT __declspec(dllexport)
#else
#define HUB_PLUGIN_EXPORT __attribute__((visibility("default")))
#endif

/* True when `member` of the struct at `ptr` lies within ptr->struct_size. */
#define HUB_HAS_MEMBER(ptr, type, member) ((ptr)->struct_size >= offsetof(type, member) + sizeof(((type*)0)->member))

/* ------------------------------------------------------------ status codes */

/* Abseil's canonical codes, with the same numbers. */
typedef int32_t hub_status;
#define HUB_OK 0
#define HUB_CANCELLED 1
#define HUB_UNKNOWN 2
#define HUB_INVALID_ARGUMENT 3
#define HUB_DEADLINE_EXCEEDED 4
#define HUB_NOT_FOUND 5
#define HUB_ALREADY_EXISTS 6
#define HUB_PERMISSION_DENIED 7
#define HUB_RESOURCE_EXHAUSTED 8
#define HUB_FAILED_PRECONDITION 9
#define HUB_ABORTED 10
#define HUB_OUT_OF_RANGE 11
#define HUB_UNIMPLEMENTED 12
#define HUB_INTERNAL 13
#define HUB_UNAVAILABLE 14
#define HUB_DATA_LOSS 15
#define HUB_UNAUTHENTICATED 16

/* ------------------------------------------------------------ common types */

/* A string view: not NUL-terminated unless said so; ptr may be NULL when len is 0.
 * OWNERSHIP: borrowed; valid for the duration of the call that passes it,
 * unless the member's comment says otherwise. */
typedef struct hub_str {
  const char* ptr;
  size_t len;
} hub_str;

/* A key/value pair; both views borrowed. */
typedef struct hub_kv {
  hub_str key;
  hub_str value;
} hub_kv;

/* Health of a target or an instance, shared by every kind. */
typedef int32_t hub_health;
#define HUB_HEALTH_UNKNOWN 0
#define HUB_HEALTH_HEALTHY 1  /* passing */
#define HUB_HEALTH_DEGRADED 2 /* warning: serving, but slow or impaired */
#define HUB_HEALTH_DOWN 3     /* critical */

/* Log levels of hub_host.log. */
typedef int32_t hub_log_level;
#define HUB_LOG_TRACE 0
#define HUB_LOG_DEBUG 1
#define HUB_LOG_INFO 2
#define HUB_LOG_WARN 3
#define HUB_LOG_ERROR 4

/* ---------------------------------------------------------- the host table */

/* What the hub offers every plugin. Passed to each create(); valid until the
 * handle made by that create() is destroyed. Every function is safe to call
 * from any thread. The host's own struct_size and abi_version tell a plugin
 * built against a newer minor which members it may use. */
typedef struct hub_host {
  uint32_t struct_size;
  uint32_t abi_version;
  void* host_ctx; /* opaque; pass back as the first argument */

  /* since 1.0, required */
  void (*log)(void* host_ctx, hub_log_level level, hub_str message);
  /* Metrics are named by the plugin ("checks_failed"); the hub prefixes them
   * with the implementation's id. */
  void (*counter_add)(void* host_ctx, hub_str name, double delta);
  void (*gauge_set)(void* host_ctx, hub_str name, double value);
  void (*histogram_observe)(void* host_ctx, hub_str name, double value);
  /* The hub's clock, which tests replace: wall time and a monotonic clock. */
  int64_t (*now_unix_us)(void* host_ctx);
  int64_t (*monotonic_us)(void* host_ctx);
} hub_host;

/* The configuration of one enabled implementation, from the deployment YAML.
 * OWNERSHIP: borrowed for the duration of create(); copy what you keep. */
typedef struct hub_config {
  uint32_t struct_size;
  hub_str id;   /* the id the deployment gave this instance, unique in the hub */
  hub_str json; /* the whole config section as a JSON object ("{}" if absent) */
  /* The same section flattened: one entry per scalar leaf, keys joined with '.'
   * and sequence indexes as numbers ("thresholds.warning", "paths.0").
   * Values are the scalars' text; null is the empty string. */
  const hub_kv* entries;
  size_t entry_count;

  /* since 1.1, optional: lets the hub refuse keys a plugin does not know, so a
   * typo ("service_timeout" for "service_timeout_seconds") stops the start
   * instead of running on a default. During create() only, a plugin calls
   * declare_key once with an empty key to say "I declare every key I read",
   * then once per flattened key it reads, present or not. After create()
   * succeeds, the hub refuses the section's entries that were not declared,
   * naming FILE:LINE:COLUMN and the keys it expected. A plugin that never calls
   * it is not checked. The C++ SDK does all of this. keys_ctx is the hub's. */
  void* keys_ctx;
  void (*declare_key)(void* keys_ctx, hub_str key);
} hub_config;

/* Every vtable starts with these four members, in this order:
 *   struct_size
 *   create(host, config, &handle): HUB_OK and a handle, or an error with the
 *       message available from get_last_error(NULL) on the same thread.
 *   destroy(handle): releases everything the handle owns; never fails.
 *       After it returns the plugin makes no further callbacks for the handle.
 *   get_last_error(handle): the message of the calling thread's last failed
 *       call on handle, or, with NULL, of its last failed create(). The string
 *       is the plugin's and stays valid until that thread calls the plugin again.
 * Unless a kind says otherwise, the hub never calls two hooks on one handle
 * at the same time; different handles may be used concurrently. */
typedef hub_status (*hub_create_fn)(const hub_host* host, const hub_config* config, void** out_handle);
typedef void (*hub_destroy_fn)(void* handle);
typedef const char* (*hub_get_last_error_fn)(void* handle);

/* The members every kind's vtable begins with, in this order (since 1.0, so
 * any vtable may be read through this header; it adds no layout of its own). */
typedef struct hub_vtable_header {
  uint32_t struct_size;
  hub_create_fn create;
  hub_destroy_fn destroy;
  hub_get_last_error_fn get_last_error;
} hub_vtable_header;

/* ------------------------------------------------------ kind: discovery
 * A source of instances (static list, file, DNS, ...) and the liveness policy
 * applied to self-registered instances. */

typedef struct hub_instance_record {
  uint32_t struct_size;
  hub_str service;
  hub_str instance_id; /* unique within service; empty: the hub derives host:port */
  hub_str host;
  uint32_t port;
  hub_str protocol;        /* "http", "grpc", "tcp", ... */
  hub_str health_endpoint; /* "/health"; empty: none */
  hub_str version;
  uint32_t weight; /* 0: the hub's default */
  const hub_str* tags;
  size_t tag_count;
  hub_str metadata_json; /* a JSON object, or empty */
} hub_instance_record;

/* Where a source sends what it finds. Callable from any thread, at any time
 * between start() returning HUB_OK and stop() returning.
 * OWNERSHIP: records are borrowed for the call; the hub copies them. */
typedef struct hub_discovery_sink {
  uint32_t struct_size;
  void* sink_ctx;
  /* The complete set this source knows now: replaces its previous snapshot. */
  void (*snapshot)(void* sink_ctx, const hub_instance_record* records, size_t count);
  void (*upsert)(void* sink_ctx, const hub_instance_record* record);
  void (*remove)(void* sink_ctx, hub_str service, hub_str instance_id);
} hub_discovery_sink;

/* What the liveness policy decides for one instance. */
typedef int32_t hub_liveness_action;
#define HUB_LIVENESS_KEEP 0      /* leave the status as it is */
#define HUB_LIVENESS_MARK_UP 1   /* healthy again */
#define HUB_LIVENESS_MARK_DOWN 2 /* silent too long */
#define HUB_LIVENESS_REMOVE 3    /* dead: deregister */

typedef struct hub_liveness_input {
  uint32_t struct_size;
  hub_str service;
  hub_str instance_id;
  hub_health status;     /* current */
  int64_t silent_for_us; /* since the last heartbeat */
  int64_t down_for_us;   /* since it was marked down; 0 if not down */
} hub_liveness_input;

typedef struct hub_discovery_vtable {
  uint32_t struct_size;
  /* since 1.0, required */
  hub_create_fn create;
  hub_destroy_fn destroy;
  hub_get_last_error_fn get_last_error;
  /* Begin delivering instances to sink. The sink stays valid until stop()
   * returns. A source with nothing to deliver (a pure liveness policy) returns
   * HUB_OK at once. */
  hub_status (*start)(void* handle, const hub_discovery_sink* sink);
  /* Stop delivering; when it returns, no sink call is running or will run. */
  void (*stop)(void* handle);
  /* since 1.0, optional: the liveness policy. Called often, from the hub's
   * timer thread; must not block. */
  hub_liveness_action (*assess_liveness)(void* handle, const hub_liveness_input* input);
} hub_discovery_vtable;

/* --------------------------------------------------- kind: health_probe
 * Checks one target before a deadline. Results come now or later. */

typedef struct hub_probe_target {
  uint32_t struct_size;
  hub_str name; /* the service or infrastructure component */
  hub_str host;
  uint32_t port;
  hub_str endpoint; /* path, query, DSN, command: what the target's YAML says */
  const hub_kv* attributes;
  size_t attribute_count;
} hub_probe_target;

typedef struct hub_probe_result {
  uint32_t struct_size;
  hub_health status;
  int64_t latency_us;
  hub_str message; /* what failed, or a short note; borrowed for the call */
} hub_probe_result;

/* Receives the result of one check. report() must be called exactly once per
 * accepted check, from any thread, before or after check() returns.
 * OWNERSHIP: the struct passed to check() is borrowed for that call: copy it
 * to report later. reporter_ctx is the hub's and stays valid until report()
 * is called or destroy() of the probe returns, whichever comes first. */
typedef struct hub_probe_reporter {
  uint32_t struct_size;
  void* reporter_ctx;
  void (*report)(void* reporter_ctx, const hub_probe_result* result);
} hub_probe_reporter;

typedef struct hub_health_probe_vtable {
  uint32_t struct_size;
  /* since 1.0, required */
  hub_create_fn create;
  hub_destroy_fn destroy;
  hub_get_last_error_fn get_last_error;
  /* Start checking target; report before deadline_monotonic_us (hub_host's
   * monotonic clock). HUB_OK: the check is accepted and will be reported.
   * Any other status: refused, nothing will be reported. The hub may run
   * several checks on one handle concurrently: check() must be thread-safe.
   * The hub enforces the deadline itself; a late report is ignored. */
  hub_status (*check)(void* handle, uint64_t check_id, const hub_probe_target* target, int64_t deadline_monotonic_us,
                      const hub_probe_reporter* reporter);
  /* since 1.0, optional: give up on a pending check (its report may still come). */
  void (*cancel)(void* handle, uint64_t check_id);
} hub_health_probe_vtable;

/* --------------------------------------------------- kind: load_balancer
 * Picks an instance from a candidate set. pick() is the hot path. */

typedef struct hub_lb_candidate {
  uint32_t struct_size;
  hub_str instance_id;
  hub_str host;
  uint32_t port;
  uint32_t weight;
  hub_health health;
  double load;        /* 0..1 as last reported by the instance; <0 unknown */
  int64_t latency_us; /* last observed; <0 unknown */
  uint32_t active_requests;
} hub_lb_candidate;

/* since 1.2: one candidate's live figures, as the hub sees them from every
 * caller that reports outcomes to it (not one caller's view). */
typedef struct hub_lb_load {
  uint32_t struct_size;
  uint32_t active_requests; /* calls in flight to it now, over all callers */
  int64_t latency_us;       /* peak-EWMA of its calls' durations; <0 unknown */
  double load;              /* its heartbeats' "load" metric, 0..1; <0 unknown */
} hub_lb_load;

/* since 1.2: reads the live figures of the last candidate set, during one
 * pick_live() call only. read() is a few atomic loads: call it as often as
 * the strategy needs (twice for power of two choices). */
typedef struct hub_lb_live {
  uint32_t struct_size;
  void* live_ctx;
  /* Fills *out (its struct_size set by the caller; write only members inside
   * it) for candidate `index` of the last set. */
  void (*read)(void* live_ctx, size_t index, hub_lb_load* out);
} hub_lb_live;

typedef struct hub_load_balancer_vtable {
  uint32_t struct_size;
  /* since 1.0, required */
  hub_create_fn create;
  hub_destroy_fn destroy;
  hub_get_last_error_fn get_last_error;
  /* The candidate set changed. Copy what pick() needs: the array is borrowed.
   * Never runs concurrently with pick() or itself on the same handle. */
  hub_status (*update_candidates)(void* handle, const hub_lb_candidate* candidates, size_t count);
  /* Choose one candidate of the last set for a request with this affinity key
   * (may be empty) and its hash (computed once by the hub). Writes the index
   * into the last set. Must not allocate or block; may run concurrently with
   * other pick() calls on the same handle. HUB_UNAVAILABLE: none can serve. */
  hub_status (*pick)(void* handle, hub_str key, uint64_t key_hash, size_t* out_index);
  /* since 1.2, optional: pick() for strategies that weigh live load (least
   * request, peak EWMA). When present the hub calls it instead of pick(). */
  hub_status (*pick_live)(void* handle, hub_str key, uint64_t key_hash, const hub_lb_live* live, size_t* out_index);
} hub_load_balancer_vtable;

/* ------------------------------------------------- kind: circuit_breaker
 * Turns call outcomes into closed / open / half-open, and grants permits.
 * The hub makes one handle per protected target and never calls one handle
 * from two threads at once. */

typedef int32_t hub_circuit_state;
#define HUB_CIRCUIT_CLOSED 0
#define HUB_CIRCUIT_OPEN 1
#define HUB_CIRCUIT_HALF_OPEN 2

typedef int32_t hub_call_outcome;
#define HUB_CALL_SUCCESS 0
#define HUB_CALL_FAILURE 1
#define HUB_CALL_TIMEOUT 2
#define HUB_CALL_REJECTED 3 /* refused by the target (overload) */

typedef struct hub_circuit_decision {
  uint32_t struct_size;
  hub_circuit_state state;
  int32_t permitted;      /* non-zero: the caller may make the call */
  int64_t retry_after_us; /* when not permitted: a hint, 0 if none */
} hub_circuit_decision;

/* since 1.2: what a breaker says about itself, for operators (GET /circuits). */
typedef struct hub_circuit_figures {
  uint32_t struct_size;
  hub_circuit_state state;
  double failure_rate;   /* percent of the calls in its window; <0 below its minimum of calls */
  double slow_call_rate; /* percent likewise */
  uint32_t calls;        /* in its window */
  uint32_t trial_calls;  /* HALF_OPEN: trial calls permitted and not yet reported */
  int64_t opened_at_us;  /* monotonic: when it last left CLOSED; 0 while CLOSED */
  int64_t retry_at_us;   /* monotonic: when OPEN gives way to HALF_OPEN; 0 unless OPEN */
} hub_circuit_figures;

typedef struct hub_circuit_breaker_vtable {
  uint32_t struct_size;
  /* since 1.0, required */
  hub_create_fn create;
  hub_destroy_fn destroy;
  hub_get_last_error_fn get_last_error;
  /* May a call go to the target now? Fills *decision (its struct_size is set
   * by the hub; write only members inside it). */
  hub_status (*acquire)(void* handle, int64_t now_monotonic_us, hub_circuit_decision* decision);
  /* The outcome of a call that acquire() permitted. */
  void (*record)(void* handle, hub_call_outcome outcome, int64_t duration_us, int64_t now_monotonic_us);
  /* since 1.0, optional: the state now, without taking a permit. */
  hub_circuit_state (*state)(void* handle, int64_t now_monotonic_us);
  /* since 1.2, optional: fills *figures (its struct_size set by the hub). */
  hub_status (*describe)(void* handle, int64_t now_monotonic_us, hub_circuit_figures* figures);
  /* since 1.2, optional: called once, before any other hook, on the handle
   * of a circuit that was OPEN or HALF_OPEN when the hub stopped: it left
   * CLOSED at opened_at_monotonic_us (on this hub's clock, possibly before its
   * start). Without it, a restarted hub's circuits start CLOSED. */
  void (*restore)(void* handle, hub_circuit_state state, int64_t opened_at_monotonic_us, int64_t now_monotonic_us);
} hub_circuit_breaker_vtable;

/* ------------------------------------------ kind: deployment_coordinator
 * Decides the next step of a rollout from its current state. The hub keeps
 * the rollout's state, persists it and carries out the actions. */

typedef struct hub_rollout_instance {
  uint32_t struct_size;
  hub_str instance_id;
  hub_str version; /* what it runs now */
  hub_health health;
  int32_t draining; /* non-zero while drained of traffic */
  /* since 1.2, optional */
  int64_t healthy_for_us;  /* healthy at `version` without a break for this long; 0 unless healthy */
  int64_t draining_for_us; /* drained this long; 0 unless draining */
  int32_t directed;        /* non-zero while a directive it was sent (UPGRADE, RETIRE) is not yet carried out */
} hub_rollout_instance;

/* since 1.2: what the hub's gates say of to_version, since the step began. */
typedef int32_t hub_rollout_gate;
#define HUB_GATE_PENDING 0 /* not enough time, calls or healthy instances yet */
#define HUB_GATE_PASSING 1
#define HUB_GATE_FAILING 2

typedef struct hub_rollout_state {
  uint32_t struct_size;
  hub_str rollout_id;
  hub_str service;
  hub_str from_version;
  hub_str to_version;
  hub_str strategy; /* "rolling", "canary", "blue_green", ... */
  uint32_t batch_size;
  int32_t paused; /* non-zero when an operator paused it */
  int64_t started_unix_us;
  int64_t now_unix_us;
  hub_str params_json; /* the request's extra parameters, a JSON object */
  /* Walk it by each element's struct_size: a newer hub's are larger. */
  const hub_rollout_instance* instances;
  size_t instance_count;
  /* since 1.2, optional */
  /* params_json flattened as hub_config's entries are ("steps.0.weight"). */
  const hub_kv* params;
  size_t param_count;
  int32_t rolling_back;      /* non-zero after ROLL_BACK: every instance goes back to from_version */
  int32_t promote_requested; /* an operator asked to skip the remaining steps, pauses and gates */
  uint32_t step;             /* the strategy's own step counter: 0 at the start, moved by NEXT_STEP */
  int64_t step_started_unix_us;
  int32_t weight_percent; /* calls sent to to_version's instances; -1: no split, every instance alike */
  hub_rollout_gate gate;  /* the gates' verdict on to_version over this step */
  hub_str gate_reason;    /* what the verdict rests on, for the history */
} hub_rollout_state;

typedef int32_t hub_rollout_action_type;
/* PROMOTE makes to_version the service's version and applies the rollout's config; a later
 * ROLL_BACK undoes both. DONE ends the rollout, promoted or rolled back; the hub refuses it
 * otherwise. NEXT_STEP's wait_us is a pause the step begins with (a canary's, a rollback
 * window), which the progress deadline does not count. */
#define HUB_ROLLOUT_DRAIN 0     /* take instance_id out of rotation */
#define HUB_ROLLOUT_UPGRADE 1   /* tell instance_id to move to to_version */
#define HUB_ROLLOUT_RESTORE 2   /* put instance_id back in rotation */
#define HUB_ROLLOUT_WAIT 3      /* ask again after wait_us */
#define HUB_ROLLOUT_PROMOTE 4   /* make to_version the service's version */
#define HUB_ROLLOUT_PAUSE 5     /* hold until an operator resumes */
#define HUB_ROLLOUT_ROLL_BACK 6 /* return every instance to from_version */
#define HUB_ROLLOUT_DONE 7      /* the rollout ends */
/* since 1.2 */
#define HUB_ROLLOUT_SET_WEIGHT 8 /* send weight_percent of calls to to_version's instances */
#define HUB_ROLLOUT_NEXT_STEP 9  /* step + 1, and its clock restarts */
#define HUB_ROLLOUT_RETIRE 10    /* drain instance_id for good and tell it to stop */

typedef struct hub_rollout_action {
  uint32_t struct_size;
  hub_rollout_action_type type;
  hub_str instance_id; /* for DRAIN, UPGRADE, RESTORE */
  int64_t wait_us;     /* for WAIT */
  hub_str reason;      /* shown to operators */
  /* since 1.2, optional */
  uint32_t weight_percent; /* for SET_WEIGHT: 0..100 */
} hub_rollout_action;

typedef struct hub_deployment_coordinator_vtable {
  uint32_t struct_size;
  /* since 1.0, required */
  hub_create_fn create;
  hub_destroy_fn destroy;
  hub_get_last_error_fn get_last_error;
  /* The next actions for this rollout, in order. The hub calls it whenever
   * something changed and at least as often as WAIT asks; it must decide from
   * the state alone, so that a restarted hub resumes where it stood. A first
   * call before the rollout is accepted checks its params: HUB_INVALID_ARGUMENT
   * refuses the rollout with get_last_error's message.
   * OWNERSHIP: *out_actions is the plugin's; valid until the next call on
   * the same handle. The hub walks it by each element's struct_size. */
  hub_status (*next_step)(void* handle, const hub_rollout_state* state, const hub_rollout_action** out_actions, size_t* out_count);
} hub_deployment_coordinator_vtable;

/* ------------------------------------------------------- the descriptor */

typedef int32_t hub_kind;
#define HUB_KIND_DISCOVERY 1
#define HUB_KIND_HEALTH_PROBE 2
#define HUB_KIND_LOAD_BALANCER 3
#define HUB_KIND_CIRCUIT_BREAKER 4
#define HUB_KIND_DEPLOYMENT_COORDINATOR 5

typedef struct hub_implementation {
  uint32_t struct_size;
  hub_kind kind;
  const char* name;   /* NUL-terminated; unique within the library and kind */
  const void* vtable; /* hub_<kind>_vtable for kind */
} hub_implementation;

/* OWNERSHIP: the descriptor and everything it points to are the plugin's and
 * must stay valid and unchanged while the library is loaded. */
typedef struct hub_plugin_descriptor {
  uint32_t struct_size;
  uint32_t abi_version; /* HUB_PLUGIN_ABI_VERSION of the header it was built with */
  const char* name;     /* NUL-terminated: "disk-space-probe" */
  const char* version;  /* the plugin's own version: "1.2.0" */
  const char* description;
  const hub_implementation* implementations;
  size_t implementation_count;
} hub_plugin_descriptor;

/* The exported entry. host_abi_version lets a plugin built against a newer
 * minor adapt to an older host. Called once per load; must not fail: return
 * NULL only if the plugin cannot serve this host at all. */
typedef const hub_plugin_descriptor* (*hub_plugin_entry_fn)(uint32_t host_abi_version);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* HUB_PLUGIN_API_H */
