// The registry's HTTP API as services call it: every endpoint, every error
// path, liveness on a ManualClock, and the events each change publishes.
#include "basics/printable_text.hpp"
#include "support/registry_hub.hpp"
#include "support/storage_backend.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <hub/errors.hpp>

#include <unistd.h>

#include <fcntl.h>

#include <filesystem>
#include <fstream>
#include <mutex>

namespace {

using hub::testing::parse_json;
using testing::ElementsAre;
using testing::HasSubstr;
namespace v1 = hub::api::v1;

const char* kDataBridge = R"({"service_name": "data-bridge", "host": "10.0.0.7", "port": 8001, "protocol": "http",
  "health_endpoint": "/health", "version": "1.2.3", "dependencies": ["central-hub", "timescaledb"],
  "metadata": {"type": "data-ingestion", "priority": "P0"}, "tags": ["phase-1"], "weight": 50})";

using hub::testing::Backend;
using hub::testing::ScratchStore;

// Every test runs on memory, SQLite and PostgreSQL alike.
class RegistryApi : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    HUB_NEED_BACKEND(GetParam());
    subscription_ = hub_->events().subscribe([this](const hub::Event& event) {
      if (event.topic.rfind("instance.", 0) != 0) return;
      std::lock_guard lock(mutex_);
      events_.push_back(event.topic + " " + event.json);
    });
  }
  void TearDown() override { hub_->events().unsubscribe(subscription_); }

  std::vector<std::string> events() {
    std::lock_guard lock(mutex_);
    return events_;
  }
  hub::HttpReply register_instance(const std::string& name, const std::string& host, int port, const std::string& extra = "") {
    return hub_.post("/register",
                     R"({"service_name": ")" + name + R"(", "host": ")" + host + R"(", "port": )" + std::to_string(port) + extra + "}");
  }
  hub::HttpReply heartbeat(const std::string& body) { return hub_.post("/heartbeat", body); }
  v1::ServiceResponse service(const std::string& name) { return parse_json<v1::ServiceResponse>(hub_.get("/services/" + name)); }

  std::shared_ptr<hub::ManualClock> clock_ = std::make_shared<hub::ManualClock>();
  ScratchStore store_{hub::testing::available(GetParam())};
  hub::testing::TestHub hub_{hub::testing::registry_options(hub::testing::kLiveness, clock_, store_.yaml())};
  uint64_t subscription_ = 0;
  std::mutex mutex_;
  std::vector<std::string> events_;
};

TEST_P(RegistryApi, RegisterKeepsWhatTheSeedSendsAndWarnsAboutUnknownDependencies) {
  const hub::HttpReply reply = hub_.post("/register", kDataBridge);
  ASSERT_EQ(reply.status, 201) << reply.body;
  const auto answer = parse_json<v1::RegisterResponse>(reply);
  EXPECT_TRUE(answer.created());
  const v1::ServiceInstance& instance = answer.instance();
  EXPECT_EQ(instance.instance_id(), "10.0.0.7:8001");
  EXPECT_EQ(instance.url(), "http://10.0.0.7:8001");
  EXPECT_EQ(instance.status(), "healthy");
  EXPECT_EQ(instance.source(), "self");
  EXPECT_EQ(instance.weight(), 50u);
  EXPECT_EQ(instance.last_heartbeat(), "2023-11-14T22:13:20.000Z");  // the ManualClock's instant
  EXPECT_EQ(instance.metadata().fields().at("priority").string_value(), "P0");
  EXPECT_THAT(instance.tags(), ElementsAre("phase-1"));
  // central-hub is the hub itself; timescaledb is not registered.
  ASSERT_EQ(answer.warnings_size(), 1);
  EXPECT_THAT(answer.warnings(0), HasSubstr("dependency \"timescaledb\" is not registered"));
  EXPECT_THAT(events(), ElementsAre(HasSubstr("instance.registered {\"service_name\":\"data-bridge\",\"instance_id\":\"10.0.0.7:8001\"")));
}

TEST_P(RegistryApi, RegisteringAgainReplacesTheInstanceAndKeepsItsRegistrationTime) {
  ASSERT_EQ(hub_.post("/register", kDataBridge).status, 201);
  clock_->advance(std::chrono::seconds(5));
  const hub::HttpReply again = register_instance("data-bridge", "10.0.0.7", 8001, R"(, "name": "data-bridge", "version": "1.2.4")");
  ASSERT_EQ(again.status, 200) << again.body;
  const auto answer = parse_json<v1::RegisterResponse>(again);
  EXPECT_FALSE(answer.created());
  EXPECT_EQ(answer.instance().version(), "1.2.4");
  EXPECT_EQ(answer.instance().registered_at(), "2023-11-14T22:13:20.000Z");
  EXPECT_EQ(service("data-bridge").instances_size(), 1);
}

TEST_P(RegistryApi, BadRegistrationsNameTheFieldAndChangeNothing) {
  const std::pair<std::string, std::string> cases[] = {
      {R"({"service_name": "api", "host": "h", "port": "eighty"})", "port: invalid value"},
      {R"({"service_name": "api", "host": "h", "port": 70000})", "port: 70000 is not a port number"},
      {R"({"service_name": "api", "host": "h"})", "port: required"},
      {R"({"service_name": "api", "port": 80})", "host: required"},
      {R"({"host": "h", "port": 80})", "service_name: required"},
      {R"({"service_name": "bad name!", "host": "h", "port": 80})", "service_name: \"bad name!\" is not a service name"},
      {R"({"service_name": "a", "name": "b", "host": "h", "port": 80})", "service_name: \"a\" and name: \"b\" disagree"},
      {R"({"service_name": "api", "host": "h", "port": 80, "colour": "red"})", "colour: unknown field"},
      {R"({"service_name": "api", "host": "h", "port": 80, "tags": "edge"})", "tags: expected an array"},
      {R"({"service_name": "api", "host": "h", "port": 80, "metadata": [1]})", "metadata"},
      {R"({"service_name": "api", "host": "h", "port": 80, "dependencies": ["ok", "not ok"]})", "dependencies: \"not ok\""},
      {R"({"service_name": "api", "host": "h", "port": 80, "health_endpoint": "health"})",
       "health_endpoint: \"health\" is not a request path"},
      // A health endpoint is the probe's request target: nothing in it may add a header or a request.
      {R"({"service_name": "api", "host": "h", "port": 80, "health_endpoint": "/health HTTP/1.1\r\nHost: evil\r\n\r\nGET /x"})",
       "is not a request path"},
      {R"({"service_name": "api", "host": "h", "port": 80, "health_endpoint": "/a b"})", "is not a request path"},
      // The JSON itself: no key twice, no nested arrays for a list, no runaway nesting.
      {R"({"service_name": "api", "service_name": "payments", "host": "h", "port": 80})", "duplicate key \"service_name\""},
      {R"({"service_name": "api", "host": "h", "port": 80, "tags": [["a"], ["b", "c"]]})", "tags: expected an array of single values"},
      {R"({"service_name": "api", "host": "h", "port": 80, "metadata": {"x": )" + std::string(10'000, '[') + std::string(10'000, ']') +
           "}}",
       "nested deeper than 32 levels"},
      {R"({"service_name": "api", "host": "h", "port": 80, "weight": 1e400})", "out of range"},
      // Text that would reach logs and other tools: no control characters.
      {R"({"service_name": "api", "host": "h", "port": 80, "version": "1.0\n2026-11-23 error [hub] forged"})",
       "version: \"1.0\\x0a2026-11-23 error [hub] forged\" has control characters"},
      {R"({"service_name": "api", "host": "h", "port": 80, "tags": ["ok", "\u001b[31mred"]})",
       "tags: \"\\x1b[31mred\" has control characters"},
      {R"({"service_name": "api", "host": "h", "port": 80, "metadata": {"blob": ")" + std::string(20'000, 'x') + R"("}})",
       "metadata: 20011 bytes, over the limit of 16384"},
      {R"({"service_name": "api", "host": "h/x", "port": 80})", "host: \"h/x\" is not a host name"},
      {R"({"service_name": "api", "host": "h", "port": 80,)", "invalid JSON body"},
      {R"([1, 2])", "invalid JSON body"},
      {"", "the request body is empty"},
  };
  for (const auto& [body, message] : cases) {
    const hub::HttpReply reply = hub_.post("/register", body);
    EXPECT_EQ(reply.status, 400) << body;
    const auto error = parse_json<hub::api::v1::Error>(reply);
    EXPECT_EQ(error.error(), "invalid_argument");
    EXPECT_THAT(error.message(), HasSubstr(message)) << body;
    EXPECT_THAT(error.message(), HasSubstr("nothing was changed"));
  }
  EXPECT_EQ(parse_json<v1::ServicesResponse>(hub_.get("/services")).services_size(), 0);
  EXPECT_TRUE(events().empty());
}

TEST_P(RegistryApi, AHeartbeatsMetricsAreBoundedAndPrintable) {
  ASSERT_EQ(hub_.post("/register", kDataBridge).status, 201);
  std::string many = R"({"service_name": "data-bridge", "metrics": {)";
  for (int i = 0; i < 33; ++i) many += (i ? ", " : "") + std::string("\"m") + std::to_string(i) + "\": 1";
  many += "}}";
  const std::pair<std::string, std::string> cases[] = {
      {many, "metrics: more than 32 in one heartbeat"},
      {R"({"service_name": "data-bridge", "metrics": {"cpu\u0007": 1}})", "metrics: \"cpu\\x07\" has control characters"},
      {R"({"service_name": "data-bridge", "metrics": {"cpu": 1, "cpu": 2}})", "duplicate key \"cpu\""},
  };
  for (const auto& [body, message] : cases) {
    const hub::HttpReply reply = heartbeat(body);
    EXPECT_EQ(reply.status, 400) << body;
    EXPECT_THAT(parse_json<hub::api::v1::Error>(reply).message(), HasSubstr(message)) << body;
  }
}

TEST_P(RegistryApi, HeartbeatsCarryStatusAndMetricsAndNeedAKnownInstance) {
  ASSERT_EQ(hub_.post("/register", kDataBridge).status, 201);
  clock_->advance(std::chrono::seconds(30));
  hub::HttpReply reply = heartbeat(R"({"service_name": "data-bridge", "status": "degraded", "metrics": {"cpu": 0.93, "latency": 45}})");
  ASSERT_EQ(reply.status, 200) << reply.body;
  const auto beat = parse_json<v1::HeartbeatResponse>(reply);
  EXPECT_EQ(beat.instance_id(), "10.0.0.7:8001");
  EXPECT_EQ(beat.previous_status(), "healthy");
  EXPECT_EQ(beat.status(), "degraded");
  const auto listed = parse_json<v1::ServicesResponse>(hub_.get("/services"));
  ASSERT_EQ(listed.services_size(), 1);
  EXPECT_EQ(listed.services(0).last_heartbeat(), "2023-11-14T22:13:50.000Z");
  EXPECT_EQ(listed.services(0).status(), "degraded");
  EXPECT_THAT(events().back(), HasSubstr("instance.status_changed"));
  EXPECT_THAT(events().back(), HasSubstr("\"previous_status\":\"healthy\""));

  EXPECT_THAT(parse_json<hub::api::v1::Error>(heartbeat(R"({"service_name": "data-bridge", "status": "exploded"})")).message(),
              HasSubstr("status: \"exploded\" is not a heartbeat status"));
  EXPECT_EQ(heartbeat(R"({"service_name": "ghost"})").status, 404);
  const hub::HttpReply unknown = heartbeat(R"({"service_name": "data-bridge", "instance_id": "other:1"})");
  EXPECT_EQ(unknown.status, 404);
  EXPECT_THAT(unknown.body, HasSubstr("register it first"));
  ASSERT_EQ(register_instance("data-bridge", "10.0.0.8", 8001).status, 201);
  const hub::HttpReply ambiguous = heartbeat(R"({"service_name": "data-bridge"})");
  EXPECT_EQ(ambiguous.status, 400);
  EXPECT_THAT(ambiguous.body, HasSubstr("instance_id: required, because \\\"data-bridge\\\" has several instances"));
}

TEST_P(RegistryApi, ServicesFilterByStatusAndTag) {
  ASSERT_EQ(hub_.post("/register", kDataBridge).status, 201);
  ASSERT_EQ(register_instance("api-gateway", "10.0.0.1", 80, R"(, "tags": ["edge"])").status, 201);
  ASSERT_EQ(heartbeat(R"({"service_name": "api-gateway", "status": "degraded"})").status, 200);
  auto names = [this](const std::string& query) {
    std::vector<std::string> found;
    const auto answer = parse_json<v1::ServicesResponse>(hub_.get("/services" + query));
    for (const auto& instance : answer.services()) found.push_back(instance.service_name());
    return found;
  };
  EXPECT_THAT(names(""), ElementsAre("api-gateway", "data-bridge"));
  EXPECT_THAT(names("?status=healthy"), ElementsAre("data-bridge"));
  EXPECT_THAT(names("?status=degraded&tag=edge"), ElementsAre("api-gateway"));
  EXPECT_THAT(names("?tag=phase%2D1"), ElementsAre("data-bridge"));
  EXPECT_EQ(hub_.get("/services?status=sleepy").status, 400);
  EXPECT_THAT(hub_.get("/services?colour=red").body, HasSubstr("colour: unknown query parameter"));
}

TEST_P(RegistryApi, AServiceShowsItsInstancesDependenciesAndDependents) {
  ASSERT_EQ(hub_.post("/register", kDataBridge).status, 201);
  ASSERT_EQ(register_instance("api-gateway", "10.0.0.1", 80, R"(, "dependencies": ["data-bridge"])").status, 201);
  const v1::ServiceResponse bridge = service("data-bridge");
  EXPECT_EQ(bridge.status(), "healthy");
  EXPECT_THAT(bridge.dependencies(), ElementsAre("central-hub", "timescaledb"));
  EXPECT_THAT(bridge.dependents(), ElementsAre("api-gateway"));
  const auto dependencies = parse_json<v1::DependenciesResponse>(hub_.get("/services/data-bridge/dependencies"));
  ASSERT_EQ(dependencies.dependencies_size(), 2);
  EXPECT_TRUE(dependencies.dependencies(0).registered());   // central-hub: the hub itself
  EXPECT_FALSE(dependencies.dependencies(1).registered());  // timescaledb
  ASSERT_EQ(dependencies.dependents_size(), 1);
  EXPECT_EQ(dependencies.dependents(0).status(), "healthy");
  const hub::HttpReply missing = hub_.get("/services/nothing-here");
  EXPECT_EQ(missing.status, 404);
  EXPECT_THAT(missing.body, HasSubstr("service \\\"nothing-here\\\" is not registered"));
  EXPECT_EQ(hub_.get("/services/nothing-here/dependencies").status, 404);

  // The cached answer follows changes: a new instance shows at once.
  ASSERT_EQ(register_instance("data-bridge", "10.0.0.8", 8001).status, 201);
  EXPECT_EQ(service("data-bridge").instances_size(), 2);
}

TEST_P(RegistryApi, DiscoverTakesHealthyInstancesInTurnAndFallsBackToDegraded) {
  ASSERT_EQ(register_instance("pricing", "10.0.0.1", 9000).status, 201);
  ASSERT_EQ(register_instance("pricing", "10.0.0.2", 9000, R"(, "protocol": "grpc")").status, 201);
  std::set<std::string> urls;
  for (int i = 0; i < 4; ++i) urls.insert(parse_json<v1::DiscoverResponse>(hub_.get("/discover/pricing")).url());
  EXPECT_THAT(urls, ElementsAre("grpc://10.0.0.2:9000", "http://10.0.0.1:9000"));
  ASSERT_EQ(heartbeat(R"({"service_name": "pricing", "instance_id": "10.0.0.1:9000", "status": "degraded"})").status, 200);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(parse_json<v1::DiscoverResponse>(hub_.get("/discover/pricing")).url(), "grpc://10.0.0.2:9000");
  ASSERT_EQ(heartbeat(R"({"service_name": "pricing", "instance_id": "10.0.0.2:9000", "status": "degraded"})").status, 200);
  EXPECT_EQ(hub_.get("/discover/pricing").status, 200);  // degraded beats nothing
  EXPECT_EQ(hub_.get("/discover/unknown").status, 404);
}

TEST_P(RegistryApi, SilentInstancesGoDownComeBackAndAreRemovedAfterTheGrace) {
  ASSERT_EQ(register_instance("ticker", "10.0.0.1", 7000).status, 201);
  ASSERT_EQ(register_instance("ticker", "10.0.0.2", 7000).status, 201);
  clock_->advance(std::chrono::seconds(60));
  ASSERT_EQ(heartbeat(R"({"service_name": "ticker", "instance_id": "10.0.0.2:7000"})").status, 200);
  clock_->advance(std::chrono::seconds(31));  // .1 silent 91 s, .2 silent 31 s
  hub_->run_liveness_pass();
  v1::ServiceResponse ticker = service("ticker");
  ASSERT_EQ(ticker.instances_size(), 2);
  EXPECT_EQ(ticker.instances(0).status(), "down");
  EXPECT_EQ(ticker.instances(1).status(), "healthy");
  EXPECT_EQ(parse_json<v1::DiscoverResponse>(hub_.get("/discover/ticker")).url(), "http://10.0.0.2:7000");

  // A heartbeat brings a down instance back.
  ASSERT_EQ(heartbeat(R"({"service_name": "ticker", "instance_id": "10.0.0.1:7000"})").status, 200);
  EXPECT_EQ(service("ticker").instances(0).status(), "healthy");

  clock_->advance(std::chrono::seconds(91));
  hub_->run_liveness_pass();
  EXPECT_EQ(service("ticker").status(), "down");
  EXPECT_EQ(hub_.get("/discover/ticker").status, 503);
  clock_->advance(std::chrono::seconds(299));
  hub_->run_liveness_pass();
  EXPECT_EQ(service("ticker").instances_size(), 2);  // down 299 s: still in the grace period
  clock_->advance(std::chrono::seconds(1));
  hub_->run_liveness_pass();
  EXPECT_EQ(hub_.get("/services/ticker").status, 404);
  EXPECT_THAT(events().back(), HasSubstr("\"reason\":\"dead\""));
}

TEST_P(RegistryApi, DeregisterRemovesOneInstanceAndThenTheService) {
  ASSERT_EQ(register_instance("ticker", "10.0.0.1", 7000).status, 201);
  ASSERT_EQ(register_instance("ticker", "10.0.0.2", 7000).status, 201);
  hub::HttpReply reply = hub_.post("/deregister", R"({"service_name": "ticker", "instance_id": "10.0.0.1:7000"})");
  ASSERT_EQ(reply.status, 200) << reply.body;
  EXPECT_EQ(parse_json<v1::DeregisterResponse>(reply).remaining_instances(), 1u);
  EXPECT_EQ(hub_.post("/deregister", R"({"service_name": "ticker", "instance_id": "10.0.0.1:7000"})").status, 404);
  ASSERT_EQ(hub_.post("/deregister", R"({"name": "ticker"})").status, 200);
  EXPECT_EQ(hub_.get("/services/ticker").status, 404);
  EXPECT_EQ(hub_.post("/deregister", R"({"service_name": "ticker"})").status, 404);
  EXPECT_EQ(hub_.post("/deregister", R"({"service_name": 5})").status, 400);
  EXPECT_THAT(events().back(), HasSubstr("instance.deregistered"));
}

TEST_P(RegistryApi, ProtobufInAndOut) {
  v1::RegisterRequest request;
  request.set_service_name("risk");
  request.set_host("10.1.1.1");
  request.set_port(7100);
  hub::HttpCallOptions options;
  options.body = request.SerializeAsString();
  options.content_type = "application/x-protobuf";
  options.accept = "application/x-protobuf";
  const hub::HttpReply reply = hub::http_call("POST", hub_.url() + "/register", options);
  ASSERT_EQ(reply.status, 201);
  EXPECT_EQ(reply.content_type, "application/x-protobuf");
  v1::RegisterResponse answer;
  ASSERT_TRUE(answer.ParseFromString(reply.body));
  EXPECT_EQ(answer.instance().url(), "http://10.1.1.1:7100");

  hub::HttpCallOptions accept;
  accept.accept = "application/x-protobuf";
  v1::ServiceResponse risk;
  ASSERT_TRUE(risk.ParseFromString(hub::http_call("GET", hub_.url() + "/services/risk", accept).body));
  EXPECT_EQ(risk.instances(0).host(), "10.1.1.1");
  EXPECT_EQ(hub_.get("/services/risk").content_type, "application/json");  // the JSON cache slot is separate

  options.body = "\xff\xff\xff";
  EXPECT_EQ(hub::http_call("POST", hub_.url() + "/register", options).status, 400);
}

// Found by the write_routes fuzz target: an error message quoting the client's bytes (here the JSON reader's
// "last read: 'tru\xff'") made an Error answer that a protobuf client could not parse.
TEST_P(RegistryApi, AnErrorQuotingInvalidUtf8IsStillValidForAProtobufClient) {
  hub::HttpCallOptions options;
  options.body = "tru\xff\xfe";
  options.accept = "application/x-protobuf";
  const hub::HttpReply reply = hub::http_call("POST", hub_.url() + "/register", options);
  EXPECT_EQ(reply.status, 400);
  hub::api::v1::Error error;
  ASSERT_TRUE(error.ParseFromString(reply.body)) << "the Error answer is not a valid protobuf message";
  EXPECT_TRUE(hub::is_printable_text(error.message())) << error.message();
  EXPECT_THAT(error.message(), HasSubstr("invalid JSON body"));
}

// Whatever bytes a client sends reach the log neither through the hub nor through protobuf's own complaints.
TEST_P(RegistryApi, AClientsInvalidBytesDoNotFloodTheLog) {
  v1::RegisterRequest request;
  request.set_service_name("risk\xff");
  request.set_host("10.1.1.1");
  request.set_port(7100);
  hub::HttpCallOptions options;
  options.body = request.SerializeAsString();
  options.content_type = "application/x-protobuf";
  const std::filesystem::path captured = std::filesystem::temp_directory_path() / ("hub-stderr-" + std::to_string(::getpid()));
  const int saved = ::dup(2);
  const int file = ::open(captured.c_str(), O_CREAT | O_TRUNC | O_WRONLY, 0600);
  ::dup2(file, 2);  // the hub's own stderr, where protobuf writes by default
  for (int i = 0; i < 20; ++i) EXPECT_EQ(hub::http_call("POST", hub_.url() + "/register", options).status, 400);
  ::dup2(saved, 2);
  ::close(saved);
  ::close(file);
  std::ifstream in(captured);
  const std::string logged((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::filesystem::remove(captured);
  EXPECT_EQ(logged.find("libprotobuf"), std::string::npos) << logged;
}

// A registration's metadata, in a binary body too, must be text a JSON reader takes.
TEST_P(RegistryApi, BinaryMetadataIsHeldToTheRulesOfAJsonBody) {
  v1::RegisterRequest request;
  request.set_service_name("risk");
  request.set_host("10.1.1.1");
  request.set_port(7100);
  google::protobuf::Value* deep = &(*request.mutable_metadata()->mutable_fields())["deep"];
  for (int level = 0; level < 32; ++level) deep = &(*deep->mutable_struct_value()->mutable_fields())["x"];
  deep->set_string_value("bottom");
  hub::HttpCallOptions options;
  options.body = request.SerializeAsString();
  options.content_type = "application/x-protobuf";
  const hub::HttpReply reply = hub::http_call("POST", hub_.url() + "/register", options);
  EXPECT_EQ(reply.status, 400) << reply.body;
  EXPECT_THAT(reply.body, HasSubstr("metadata: not valid JSON text"));  // protobuf's own printer gives up on it
  EXPECT_EQ(hub_.get("/services/risk").status, 404);
}

TEST(RegistryWithoutDiscovery, EndpointsSayDiscoveryIsNotEnabled) {
  hub::testing::TestHub hub;
  for (const char* path : {"/services", "/services/x", "/discover/x"}) {
    const hub::HttpReply reply = hub.get(path);
    EXPECT_EQ(reply.status, 501) << path;
    EXPECT_THAT(reply.body, HasSubstr("discovery is not enabled in this deployment"));
  }
  EXPECT_EQ(hub.post("/register", kDataBridge).status, 501);
}

INSTANTIATE_TEST_SUITE_P(Backends, RegistryApi, hub::testing::kAllBackends, hub::testing::backend_label);

class RegistryLiveness : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override { HUB_NEED_BACKEND(GetParam()); }
  ScratchStore store_{hub::testing::available(GetParam())};
};

TEST_P(RegistryLiveness, WithoutAutoDeregisterDownInstancesStay) {
  auto clock = std::make_shared<hub::ManualClock>();
  hub::testing::TestHub hub(hub::testing::registry_options(R"(
    - library: discovery
      enable: [{implementation: liveness, config: {service_timeout_seconds: 10, auto_deregister_dead_services: false}}]
)",
                                                           clock, store_.yaml()));
  ASSERT_EQ(hub.post("/register", kDataBridge).status, 201);
  clock->advance(std::chrono::hours(24));
  hub->run_liveness_pass();
  hub->run_liveness_pass();
  const auto bridge = parse_json<v1::ServiceResponse>(hub.get("/services/data-bridge"));
  ASSERT_EQ(bridge.instances_size(), 1);
  EXPECT_EQ(bridge.instances(0).status(), "down");
}

TEST_P(RegistryLiveness, TheHousekeepingThreadRunsThePolicyByItself) {
  auto clock = std::make_shared<hub::ManualClock>();
  hub::HubOptions options = hub::testing::registry_options(hub::testing::kLiveness, clock, store_.yaml());
  options.housekeeping_interval = std::chrono::milliseconds(10);
  hub::testing::TestHub hub(std::move(options));
  ASSERT_EQ(hub.post("/register", kDataBridge).status, 201);
  clock->advance(std::chrono::seconds(91));
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  std::string status;
  while (std::chrono::steady_clock::now() < deadline) {
    status = parse_json<v1::ServicesResponse>(hub.get("/services")).services(0).status();
    if (status == "down") break;
    std::this_thread::yield();
  }
  EXPECT_EQ(status, "down");
}

INSTANTIATE_TEST_SUITE_P(Backends, RegistryLiveness, hub::testing::kAllBackends, hub::testing::backend_label);

TEST(RegistryLivenessConfig, BadPolicyConfigStopsTheStartNamingTheKey) {
  hub::Hub hub(hub::testing::registry_options(R"(
    - library: discovery
      enable: [{implementation: liveness, config: {service_timeout_seconds: -5}}]
)"));
  EXPECT_THAT([&] { hub.start(); }, testing::ThrowsMessage<std::exception>(HasSubstr("config key 'service_timeout_seconds'")));
  hub::Hub two(hub::testing::registry_options(R"(
    - library: discovery
      enable: [{implementation: liveness, id: a}, {implementation: liveness, id: b}]
)"));
  EXPECT_THAT([&] { two.start(); },
              testing::ThrowsMessage<hub::ManifestError>(HasSubstr(
                  "registry-test.yaml:8:51: 'b' is a second liveness policy after 'a' (registry-test.yaml:8:16); enable one of them")));
}

}  // namespace
