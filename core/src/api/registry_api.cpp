#include "registry_api.hpp"

#include "access_gate.hpp"
#include "answer_cache.hpp"
#include "json_message.hpp"
#include "request_message.hpp"

#include "basics/printable_text.hpp"
#include "basics/time_text.hpp"
#include "http/encoding.hpp"
#include "http/json_body.hpp"
#include "hub/api/v1/registry.pb.h"
#include "registry/instance_validation.hpp"

#include <hub/errors.hpp>

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>
#include <nlohmann/json.hpp>

#include <set>

namespace hub {

namespace {

namespace v1 = api::v1;
using http::Request;
using http::Response;

// The hub answers to its own name as a dependency: the seed's services list it.
constexpr const char* kHubServiceName = "central-hub";

using api::bad_request;
using api::kMaxBodyDepth;
using api::parse;

constexpr int kMaxHeartbeatMetrics = 32;
// The heartbeat metric least_load balances on, and GET /lb answers as "load".
constexpr const char* kLoadMetric = "load";

// "name" and "service_name" both name the service; the seed's samples use each.
std::optional<std::string> service_name_of(const std::string& service_name, const std::string& name, std::string& problem) {
  if (!service_name.empty() && !name.empty() && service_name != name) {
    problem = "service_name: \"" + service_name + "\" and name: \"" + name + "\" disagree; send one of them";
    return std::nullopt;
  }
  const std::string chosen = service_name.empty() ? name : service_name;
  problem = validate_service_name("service_name", chosen);
  if (!problem.empty()) return std::nullopt;
  return chosen;
}

void to_proto(const InstanceRecord& record, v1::ServiceInstance& out) {
  out.set_service_name(record.service_name);
  out.set_instance_id(record.instance_id);
  out.set_host(record.host);
  out.set_port(record.port);
  out.set_protocol(record.protocol);
  out.set_health_endpoint(record.health_endpoint);
  out.set_version(record.version);
  for (const auto& dependency : record.dependencies) out.add_dependencies(dependency);
  (void)google::protobuf::util::JsonStringToMessage(record.metadata_json, out.mutable_metadata());
  for (const auto& tag : record.tags) out.add_tags(tag);
  out.set_weight(record.weight);
  out.set_status(record.status);
  out.set_last_heartbeat(rfc3339_utc(record.last_heartbeat_unix_us));
  out.set_registered_at(rfc3339_utc(record.registered_at_unix_us));
  out.set_source(record.source);
  out.set_url(url_of(record));
}

std::string serialize(const Request& request, const google::protobuf::Message& message) {
  return http::encode(request, message).body;
}

Response cached(const Request& request, std::shared_ptr<const std::string> body) {
  return Response{200, request.wants_protobuf ? http::kProtobufType : "application/json", *body};
}

// invalid_argument on a write also says that nothing changed, as every refused write does.
Response refused(const Request& request, const Status& status) {
  if (status.code() == Code::invalid_argument) return bad_request(request, status.message());
  return http::error(request, status);
}

class RegistryApi {
 public:
  RegistryApi(Registry& registry, Balancer& balancer, const security::RegistrationPolicy& policy)
      : registry_(registry), balancer_(balancer), policy_(policy), answers_(registry) {}

  // Answers once the registration is stored and served: group commit keeps many in flight, so it
  // runs on the I/O thread and never holds a worker while storage commits.
  void register_instance(const Request& request, const http::Reply& reply) {
    InstanceRecord record;
    v1::RegisterResponse out;
    if (std::optional<Response> refusal = registration(request, record, out)) return reply(std::move(*refusal));
    registry_.register_instance(std::move(record), [request = http::answerable(request), reply, out](Registry::Registered registered) {
      reply(Response::built_on_io_thread([request, out, registered = std::move(registered)]() mutable {
        if (registered.status) return refused(*request, registered.status);
        out.set_created(registered.created);
        to_proto(registered.instance, *out.mutable_instance());
        return http::encode(*request, out, out.created() ? 201 : 200);
      }));
    });
  }

  // Reads the record a registration asks for, and warnings into `out`; the refusal when it is not one.
  std::optional<Response> registration(const Request& request, InstanceRecord& record, v1::RegisterResponse& out) {
    v1::RegisterRequest in;
    if (auto failed = parse(request, in)) return *failed;
    std::string problem;
    auto name = service_name_of(in.service_name(), in.name(), problem);
    if (!name) return bad_request(request, problem);
    if (auto refusal = refuse_other_service(request, *name)) return refusal;
    record.service_name = *name;
    record.host = in.host();
    record.port = in.port() <= 65535 ? static_cast<uint16_t>(in.port()) : 0;
    if (in.port() > 65535) return bad_request(request, "port: " + std::to_string(in.port()) + " is not a port number, 1 to 65535");
    record.instance_id = in.instance_id().empty() ? in.host() + ":" + std::to_string(in.port()) : in.instance_id();
    if (!in.protocol().empty()) record.protocol = in.protocol();
    record.health_endpoint = in.health_endpoint();
    record.version = in.version();
    record.dependencies.assign(in.dependencies().begin(), in.dependencies().end());
    record.tags.assign(in.tags().begin(), in.tags().end());
    if (in.weight()) record.weight = in.weight();
    if (in.has_metadata()) {
      google::protobuf::util::JsonPrintOptions compact;
      record.metadata_json.clear();  // the printer appends
      std::string problem;
      // A binary body's strings are not checked by protobuf: metadata is read back as any JSON body is.
      if (!google::protobuf::util::MessageToJsonString(in.metadata(), &record.metadata_json, compact).ok() ||
          !http::parse_json_body(record.metadata_json, kMaxBodyDepth, problem))
        return bad_request(request, "metadata: not valid JSON text" + (problem.empty() ? "" : ": " + problem));
    }
    if (std::string invalid = validate_instance(record); !invalid.empty()) return bad_request(request, invalid);
    if (std::string refused = policy_.refusal(record.host); !refused.empty())
      return http::error(request, 403, "host_refused", refused + "; nothing was changed");

    std::set<std::string> declared(record.dependencies.begin(), record.dependencies.end());
    for (const std::string& dependency : declared)
      if (dependency != kHubServiceName && dependency != record.service_name && !registry_.knows(dependency))
        out.add_warnings("dependency \"" + dependency + "\" is not registered; " + record.service_name +
                         " was registered anyway and will see it once it registers");
    return std::nullopt;
  }

  Response heartbeat(const Request& request) {
    v1::HeartbeatRequest in;
    if (auto failed = parse(request, in)) return *failed;
    std::string problem;
    auto name = service_name_of(in.service_name(), in.name(), problem);
    if (!name) return bad_request(request, problem);
    if (auto refusal = refuse_other_service(request, *name)) return *refusal;
    const std::string status = in.status().empty() ? "healthy" : in.status();
    if (status != "healthy" && status != "degraded")
      return bad_request(request, "status: \"" + in.status() + "\" is not a heartbeat status; use healthy or degraded");
    if (in.metrics().size() > kMaxHeartbeatMetrics)
      return bad_request(request, "metrics: more than " + std::to_string(kMaxHeartbeatMetrics) + " in one heartbeat");
    for (const auto& [metric, value] : in.metrics()) {
      if (metric.empty() || metric.size() > 100) return bad_request(request, "metrics: each metric name is 1 to 100 characters");
      if (!is_printable_text(metric)) return bad_request(request, "metrics: \"" + printable_text(metric, 60) + "\" has control characters");
    }
    if (auto load = in.metrics().find(kLoadMetric); load != in.metrics().end() && !(load->second >= 0 && load->second <= 1))
      return bad_request(
          request, "metrics.load: the instance's load is a share between 0 and 1 (the seed's 0.3), got " + std::to_string(load->second));
    std::map<std::string, double> metrics(in.metrics().begin(), in.metrics().end());
    // A heartbeat that changes the status waits on storage: not on an I/O thread.
    if (!request.may_wait && registry_.heartbeat_stores(*name, in.instance_id(), status))
      return Response::to_worker([this, &request, name = *name, id = in.instance_id(), status, metrics = std::move(metrics)] {
        return beat(request, name, id, status, metrics);
      });
    return beat(request, *name, in.instance_id(), status, metrics);
  }

  Response beat(const Request& request, const std::string& name, const std::string& instance_id, const std::string& status,
                const std::map<std::string, double>& metrics) {
    const Registry::Beat beat = registry_.heartbeat(name, instance_id, status, metrics);
    if (beat.status) return refused(request, beat.status);
    if (auto load = metrics.find(kLoadMetric); load != metrics.end()) balancer_.set_load(name, beat.instance_id, load->second);
    v1::HeartbeatResponse out;
    out.set_service_name(name);
    out.set_instance_id(beat.instance_id);
    out.set_status(beat.served);
    out.set_previous_status(beat.previous);
    return http::encode(request, out);
  }

  void deregister(const Request& request, const http::Reply& reply) {
    v1::DeregisterRequest in;
    if (auto failed = parse(request, in)) return reply(*failed);
    std::string problem;
    auto name = service_name_of(in.service_name(), in.name(), problem);
    if (!name) return reply(bad_request(request, problem));
    if (auto refusal = refuse_other_service(request, *name)) return reply(std::move(*refusal));
    registry_.deregister(*name, in.instance_id(), "requested",
                         [request = http::answerable(request), reply, name = *name](Registry::Removed removed) {
                           reply(Response::built_on_io_thread([request, name, removed = std::move(removed)] {
                             if (removed.status) return refused(*request, removed.status);
                             v1::DeregisterResponse out;
                             out.set_service_name(name);
                             out.set_instance_id(removed.instance_id);
                             out.set_remaining_instances(static_cast<uint32_t>(removed.remaining));
                             return http::encode(*request, out);
                           }));
                         });
  }

  Response list(const Request& request) const {
    auto query = http::parse_query(request.query);
    if (!query) return bad_request(request, "the query string has a malformed %-escape");
    std::string status, tag;
    for (const auto& [key, value] : *query) {
      if (key == "status") {
        if (value != "healthy" && value != "degraded" && value != "down")
          return bad_request(request, "status: \"" + value + "\" is not a status; use healthy, degraded or down");
        status = value;
      } else if (key == "tag") {
        tag = value;
      } else {
        return bad_request(request, key + ": unknown query parameter; GET /services takes status and tag");
      }
    }
    v1::ServicesResponse out;
    for (const InstanceRecord& record : registry_.instances(status, tag)) to_proto(record, *out.add_services());
    return http::encode(request, out);
  }

  Response service(const Request& request) {
    const std::string& name = request.params.at("name");
    if (!registry_.knows(name)) return unknown_service(request, name);
    return cached(request, answers_.service_answer(name, request.wants_protobuf ? 1 : 0, [&] {
      v1::ServiceResponse out;
      out.set_service_name(name);
      out.set_status(registry_.service_status(name));
      for (const InstanceRecord& record : registry_.service(name).value_or(std::vector<InstanceRecord>{}))
        to_proto(record, *out.add_instances());
      for (const std::string& dependency : registry_.dependencies(name)) out.add_dependencies(dependency);
      for (const std::string& dependent : registry_.dependents(name)) out.add_dependents(dependent);
      return serialize(request, out);
    }));
  }

  Response dependencies(const Request& request) {
    const std::string& name = request.params.at("name");
    if (!registry_.knows(name)) return unknown_service(request, name);
    return cached(request, answers_.service_answer(name, request.wants_protobuf ? 3 : 2, [&] {
      v1::DependenciesResponse out;
      out.set_service_name(name);
      auto describe = [this](const std::string& other, v1::DependencyStatus& entry) {
        entry.set_service_name(other);
        const bool hub_itself = other == kHubServiceName;
        entry.set_registered(hub_itself || registry_.knows(other));
        entry.set_status(hub_itself ? "healthy" : registry_.service_status(other));
      };
      for (const std::string& dependency : registry_.dependencies(name)) describe(dependency, *out.add_dependencies());
      for (const std::string& dependent : registry_.dependents(name)) describe(dependent, *out.add_dependents());
      return serialize(request, out);
    }));
  }

  Response discover(const Request& request) {
    const std::string& name = request.params.at("name");
    const Balancer::Picked picked = balancer_.pick(name);
    if (picked.status.code() == Code::not_found) return unknown_service(request, name);
    if (picked.status) return http::error(request, picked.status);
    return cached(request, answers_.pick_answer(name, picked, request.wants_protobuf ? 1 : 0, [&] {
      v1::DiscoverResponse out;
      out.set_service_name(name);
      out.set_panic(picked.candidates->panic);
      out.set_url(url_of(picked.instance()));
      to_proto(picked.instance(), *out.mutable_instance());
      return serialize(request, out);
    }));
  }

 private:
  static Response unknown_service(const Request& request, const std::string& name) {
    return http::error(request, 404, "not_found", "service \"" + name + "\" is not registered");
  }
  Registry& registry_;
  Balancer& balancer_;
  const security::RegistrationPolicy& policy_;
  AnswerCache answers_;
};

}  // namespace

http::Response discovery_not_enabled(const http::Request& request) {
  return http::error(request, 501, "discovery_not_enabled",
                     "discovery is not enabled in this deployment: enable an implementation of kind discovery (such as 'liveness' "
                     "from the discovery plugin) in its YAML");
}

void add_registry_routes(http::Router& router, Registry* registry, Balancer* balancer, const security::RegistrationPolicy& policy) {
  static const std::pair<const char*, const char*> kRoutes[] = {
      {"POST", "/register"},       {"POST", "/heartbeat"},      {"POST", "/deregister"},
      {"GET", "/services"},        {"GET", "/services/{name}"}, {"GET", "/services/{name}/dependencies"},
      {"GET", "/discover/{name}"},
  };
  if (!registry) {
    for (const auto& [method, path] : kRoutes) router.add(method, path, discovery_not_enabled);
    return;
  }
  auto api = std::make_shared<RegistryApi>(*registry, *balancer, policy);
  router.add_async("POST", "/register", [api](const Request& r, http::Reply reply) { api->register_instance(r, reply); });
  router.add(
      "POST", "/heartbeat", [api](const Request& r) { return api->heartbeat(r); }, http::Runs::on_io_thread_first);
  router.add_async("POST", "/deregister", [api](const Request& r, http::Reply reply) { api->deregister(r, reply); });
  router.add(
      "GET", "/services", [api](const Request& r) { return api->list(r); }, http::Runs::on_io_thread);
  router.add(
      "GET", "/services/{name}", [api](const Request& r) { return api->service(r); }, http::Runs::on_io_thread);
  router.add(
      "GET", "/services/{name}/dependencies", [api](const Request& r) { return api->dependencies(r); }, http::Runs::on_io_thread);
  router.add(
      "GET", "/discover/{name}", [api](const Request& r) { return api->discover(r); }, http::Runs::on_io_thread);
}

}  // namespace hub
