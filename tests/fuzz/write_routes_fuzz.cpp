// The body of every write route, as the API receives it, through the real
// handlers over memory storage: whatever the bytes, the answer is a status the
// API promises (never a 500), and a refused write changes nothing.
#include "api/balancing_api.hpp"
#include "api/config_api.hpp"
#include "api/deployments_api.hpp"
#include "api/errors_api.hpp"
#include "api/registry_api.hpp"
#include "api/snapshot_api.hpp"
#include "basics/logging.hpp"
#include "config/config_store.hpp"
#include "fuzz_check.hpp"
#include "http/encoding.hpp"
#include "http/router.hpp"
#include "plugin_set/plugin_set.hpp"
#include "registry/registry.hpp"
#include "storage/group_commit.hpp"
#include "storage/storage.hpp"

#include <cstdint>
#include <memory>
#include <string>

namespace {

struct Api {
  std::shared_ptr<hub::ManualClock> clock = std::make_shared<hub::ManualClock>();
  hub::EventBus events;
  std::unique_ptr<hub::Storage> storage = hub::open_memory_storage();
  hub::GroupCommit writes{*storage};
  hub::Registry registry{clock, *storage, writes, events};
  hub::config::ConfigStore configs{*storage, writes, hub::ConfigManagementSettings{},
                                   *clock,   events, hub::make_logger({.level = "off"}, "fuzz")};
  hub::Balancer balancer{registry, {}, [](const std::string& service) { return hub::builtin_round_robin("round_robin/" + service, {}); }};
  hub::Metrics metrics;
  hub::Circuits circuits{[](const std::string& service) { return hub::builtin_breaker("sliding_window/" + service, {}); },
                         [this](const std::string& service) { return registry.knows(service); }, events, metrics, clock};
  hub::security::RegistrationPolicy policy{hub::RegistrationRules{}};
  hub::deployments::DirectiveBoard board{events};
  hub::deployments::Deployments rollouts{
      {registry, balancer, configs, *storage, board, events, clock, hub::make_logger({.level = "off"}, "fuzz")},
      hub::DeploymentSettings{},
      [](const std::string& strategy) { return hub::builtin_coordinator(strategy, {}); }};
  hub::ErrorSettings error_settings;
  hub::error_groups::ErrorGroups errors{error_settings, clock, events, metrics};
  hub::http::Router router;
  Api() {
    hub::add_registry_routes(router, &registry, &balancer, policy);
    hub::add_balancing_routes(router, &balancer, &circuits, clock);
    hub::config::add_config_routes(router, configs);
    hub::add_deployment_routes(router, &rollouts, &board);
    hub::add_error_routes(router, errors, error_settings);
    hub::add_snapshot_routes(router, *storage, *clock, "fuzz", [this](const hub::StoredState& state) {
      if (!storage->export_state().empty()) return hub::Status{hub::Code::failed_precondition, "not empty"};
      storage->import_state(state);
      return hub::Status{};
    });
  }
};

const std::pair<const char*, const char*> kWriteRoutes[] = {
    {"POST", "/register"},
    {"POST", "/heartbeat"},
    {"POST", "/deregister"},
    {"PUT", "/config/svc"},
    {"POST", "/config/svc/rollback"},
    {"PUT", "/global-config"},
    {"POST", "/global-config/rollback"},
    {"POST", "/outcomes"},
    {"POST", "/drain"},
    {"PUT", "/circuits/svc/state"},
    {"POST", "/deployments"},
    {"POST", "/directives/svc/10.0.0.1:80/ack"},
    {"POST", "/snapshot/restore"},
    {"POST", "/errors"},
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static std::unique_ptr<Api> api;
  static int inputs = 0;
  if (!api || ++inputs % 4096 == 0) api = std::make_unique<Api>();  // what valid inputs stored stays bounded
  const std::string body(reinterpret_cast<const char*>(data), size);
  for (const auto& [method, path] : kWriteRoutes) {
    for (const bool protobuf : {false, true}) {
      hub::http::Request request;
      request.method = method;
      request.path = path;
      request.body = body;
      request.content_type = protobuf ? hub::http::kProtobufType : "application/json";
      const hub::http::Response response = api->router.dispatch(request);
      FUZZ_CHECK(response.status >= 200 && response.status < 500 && response.status != 0);
    }
  }
  return 0;
}
