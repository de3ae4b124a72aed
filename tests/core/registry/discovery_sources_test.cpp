// The discovery plugin's sources: instances from the manifest's YAML and
// from DNS (A and SRV, against a local responder), and their config errors.
#include "dns_lookup.hpp"
#include "support/dns_responder.hpp"
#include "support/registry_hub.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>

namespace {

using hub::testing::parse_json;
using testing::HasSubstr;
using testing::UnorderedElementsAre;
namespace v1 = hub::api::v1;

std::set<std::string> urls(const hub::testing::TestHub& hub, const std::string& service) {
  std::set<std::string> found;
  const hub::HttpReply reply = hub.get("/services/" + service);
  if (reply.status != 200) return found;
  const auto answer = parse_json<v1::ServiceResponse>(reply);
  for (const auto& instance : answer.instances()) found.insert(instance.url());
  return found;
}

// DNS sources deliver from their own thread: wait for what is expected, with a deadline.
std::set<std::string> wait_for_urls(const hub::testing::TestHub& hub, const std::string& service, const std::set<std::string>& expected) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  std::set<std::string> found;
  while (std::chrono::steady_clock::now() < deadline) {
    found = urls(hub, service);
    if (found == expected) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));  // polling interval, not a wait for an outcome
  }
  return found;
}

TEST(StaticSource, ServesTheInstancesListedInYaml) {
  hub::testing::TestHub hub(hub::testing::registry_options(R"(
    - library: discovery
      enable:
        - implementation: static
          id: infrastructure
          config:
            instances:
              - {service: postgresql, host: 10.0.0.5, port: 5432, protocol: tcp, tags: [database, primary]}
              - {service: nats, host: 10.0.0.6, port: 4222, protocol: nats, weight: 5}
)"));
  const auto services = parse_json<v1::ServicesResponse>(hub.get("/services?tag=primary"));
  ASSERT_EQ(services.services_size(), 1);
  EXPECT_EQ(services.services(0).url(), "tcp://10.0.0.5:5432");
  EXPECT_EQ(services.services(0).source(), "infrastructure");
  EXPECT_EQ(parse_json<v1::DiscoverResponse>(hub.get("/discover/nats")).instance().weight(), 5u);
  // Without a liveness policy nothing ages out, and self-registration still works beside the list.
  hub->run_liveness_pass();
  EXPECT_EQ(hub.post("/register", R"({"service_name": "nats", "host": "10.0.0.7", "port": 4222})").status, 201);
  EXPECT_EQ(urls(hub, "nats"), (std::set<std::string>{"nats://10.0.0.6:4222", "http://10.0.0.7:4222"}));
}

TEST(StaticSource, ConfigErrorsNameTheKey) {
  const std::pair<std::string, std::string> cases[] = {
      {"{}", "config key 'instances' is required"},
      {"{instances: [{service: db, host: h}]}", "config key 'instances.0.port' is required"},
      {"{instances: [{service: db, host: h, port: 99999}]}", "got 99999"},
      {"{instances: [{host: h, port: 1}]}", "config key 'instances.0.service' is required"},
  };
  for (const auto& [config, message] : cases) {
    hub::Hub hub(
        hub::testing::registry_options("    - library: discovery\n      enable: [{implementation: static, config: " + config + "}]\n"));
    EXPECT_THAT([&] { hub.start(); }, testing::ThrowsMessage<std::exception>(HasSubstr(message))) << config;
  }
}

TEST(DnsSource, ARecordsOfANameInHostsFileBecomeInstances) {
  hub::testing::TestHub hub(hub::testing::registry_options(R"(
    - library: discovery
      enable: [{implementation: dns, id: local-dns, config: {service: local-api, name: localhost, port: 8080, interval_seconds: 60}}]
)"));
  EXPECT_EQ(wait_for_urls(hub, "local-api", {"http://127.0.0.1:8080"}), (std::set<std::string>{"http://127.0.0.1:8080"}));
}

TEST(DnsSource, SrvRecordsFollowChangesAndAFailedLookupKeepsTheLastAnswer) {
  hub::testing::DnsResponder dns;
  dns.set_srv("_pay._tcp.internal", {{10, 60, 9001, "pay-1.internal"}, {10, 40, 9002, "pay-2.internal"}, {20, 1, 9003, "backup.internal"}});
  hub::testing::TestHub hub(hub::testing::registry_options(R"(
    - library: discovery
      enable:
        - implementation: dns
          id: pay-dns
          config: {service: payments, name: _pay._tcp.internal, record: SRV, protocol: grpc, interval_seconds: 0.05, nameserver: ")" +
                                                           dns.address() + R"("}
)"));
  // Only the best priority is served; the priority-20 record is a fallback.
  EXPECT_EQ(wait_for_urls(hub, "payments", {"grpc://pay-1.internal:9001", "grpc://pay-2.internal:9002"}),
            (std::set<std::string>{"grpc://pay-1.internal:9001", "grpc://pay-2.internal:9002"}));
  const auto first = parse_json<v1::ServiceResponse>(hub.get("/services/payments"));
  EXPECT_EQ(first.instances(0).weight(), 60u);

  dns.set_srv("_pay._tcp.internal", {{10, 1, 9002, "pay-2.internal"}, {10, 1, 9004, "pay-3.internal"}});
  EXPECT_EQ(wait_for_urls(hub, "payments", {"grpc://pay-2.internal:9002", "grpc://pay-3.internal:9004"}),
            (std::set<std::string>{"grpc://pay-2.internal:9002", "grpc://pay-3.internal:9004"}));

  dns.set_srv("_pay._tcp.internal", {});  // NXDOMAIN: keep what was known
  const int asked = dns.questions();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (dns.questions() < asked + 3 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_GE(dns.questions(), asked + 3);
  EXPECT_EQ(urls(hub, "payments"), (std::set<std::string>{"grpc://pay-2.internal:9002", "grpc://pay-3.internal:9004"}));
}

TEST(DnsSource, ARecordsFromANameserver) {
  hub::testing::DnsResponder dns;
  dns.set_a("quotes.internal", {"10.9.0.1", "10.9.0.2"});
  hub::testing::TestHub hub(hub::testing::registry_options(R"(
    - library: discovery
      enable: [{implementation: dns, config: {service: quotes, name: quotes.internal, port: 80, nameserver: ")" +
                                                           dns.address() + R"("}}]
)"));
  EXPECT_EQ(wait_for_urls(hub, "quotes", {"http://10.9.0.1:80", "http://10.9.0.2:80"}),
            (std::set<std::string>{"http://10.9.0.1:80", "http://10.9.0.2:80"}));
}

hub::discovery::Nameserver nameserver_of(const hub::testing::DnsResponder& dns) {
  return hub::discovery::Nameserver::parse(dns.address());
}

TEST(DnsLookup, ASilentNameserverCostsTheLookupItsTimeoutAndNoMore) {
  hub::testing::DnsResponder silent;
  silent.answer_with([](const std::string&) { return std::string(); });
  for (const bool srv : {false, true}) {
    const auto started = std::chrono::steady_clock::now();
    try {
      srv ? hub::discovery::lookup_srv("_x._tcp.internal", nameserver_of(silent), std::chrono::seconds(1))
          : hub::discovery::lookup_a("x.internal", nameserver_of(silent), std::chrono::seconds(1));
      ADD_FAILURE() << "a silent nameserver answered";
    } catch (const std::runtime_error& error) {
      EXPECT_THAT(error.what(), HasSubstr("timed out after"));
    }
    EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(1500));
  }
}

TEST(DnsLookup, AMalformedAnswerIsAFailedLookupNotACrash) {
  // The query's own id and flags, then a header that claims records the packet does not hold.
  hub::testing::DnsResponder liar;
  liar.answer_with([](const std::string& query) {
    std::string reply = query.substr(0, 2) + std::string("\x81\x80\x00\x01\x00\x05\x00\x00\x00\x00", 10);
    return reply + query.substr(12) + std::string("\xc0\x0c\x00\x21\x00\x01\xff\xff", 8);
  });
  EXPECT_THROW(hub::discovery::lookup_srv("_x._tcp.internal", nameserver_of(liar), std::chrono::seconds(1)), std::runtime_error);
  EXPECT_THROW(hub::discovery::lookup_a("x.internal", nameserver_of(liar), std::chrono::seconds(1)), std::runtime_error);
}

TEST(DnsSource, ConfigErrorsNameTheKey) {
  const std::pair<std::string, std::string> cases[] = {
      {"{name: x, port: 1}", "config key 'service' is required"},
      {"{service: s, port: 1}", "config key 'name' is required"},
      {"{service: s, name: x}", "config key 'port' is required"},
      {"{service: s, name: x, record: MX}", "config key 'record': expected A or SRV, got 'MX'"},
      {"{service: s, name: x, record: SRV, nameserver: 'dns.example'}", "config key 'nameserver': 'dns.example' is not an IPv4"},
      {"{service: s, name: x, record: SRV, interval_seconds: 0}", "config key 'interval_seconds'"},
  };
  for (const auto& [config, message] : cases) {
    hub::Hub hub(
        hub::testing::registry_options("    - library: discovery\n      enable: [{implementation: dns, config: " + config + "}]\n"));
    EXPECT_THAT([&] { hub.start(); }, testing::ThrowsMessage<std::exception>(HasSubstr(message))) << config;
  }
}

}  // namespace
