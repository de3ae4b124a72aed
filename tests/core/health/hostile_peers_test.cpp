// Every probe that speaks a protocol, against targets that answer as an
// attacker would: invalid UTF-8, oversized or endless headers, an overflowing
// chunk size, an endless body, a byte at a time, a reset. For each the hub
// stays up, its threads and memory stay bounded, and the target is down with a
// message an operator can read. The http service probe's case is defect 1:
// an answer in invalid UTF-8 once aborted the hub while it built the alert.
#include "discovery_plugin.hpp"
#include "health_probe_plugin.hpp"
#include "support/scripted_server.hpp"

#include <hub/testing.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <sys/socket.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <thread>

using hub::testing::ScriptedServer;
using nlohmann::json;
using testing::HasSubstr;
using namespace std::chrono_literals;

namespace {

// Sends `bytes` again and again until the probe leaves or the server stops.
void endlessly(int fd, const std::string& bytes) {
  while (::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL) > 0) {
  }
}

// Reads the request (or the first bytes a protocol sends), then behaves.
ScriptedServer::Script after_hello(std::function<void(int)> behave) {
  return [behave](int fd) {
    char hello[512];
    ::recv(fd, hello, sizeof hello, MSG_DONTWAIT);  // a NATS server speaks first: do not wait for the client
    behave(fd);
  };
}

const std::map<std::string, ScriptedServer::Script>& behaviours() {
  static const std::map<std::string, ScriptedServer::Script> all{
      {"invalid-utf8", after_hello([](int fd) {
         ScriptedServer::send_all(fd, "HTTP/1.1 503 \xff\xfe bad\r\nContent-Length: 0\r\n\r\n");
         ::shutdown(fd, SHUT_WR);
       })},
      {"oversized-headers", after_hello([](int fd) {
         std::string head = "HTTP/1.1 200 OK\r\n";
         while (head.size() < 200'000) head += "X-Padding: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n";
         ScriptedServer::send_all(fd, head + "Content-Length: 0\r\n\r\n");
         ::shutdown(fd, SHUT_WR);
       })},
      {"endless-headers", after_hello([](int fd) {
         ScriptedServer::send_all(fd, "HTTP/1.1 200 OK\r\n");
         endlessly(fd, "X-Padding: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n");
       })},
      {"overflowing-chunk", after_hello([](int fd) {
         ScriptedServer::send_all(fd, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nX\r\nffffffffffffffec\r\n");
         endlessly(fd, "YYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYY");
       })},
      {"endless-body", after_hello([](int fd) {
         ScriptedServer::send_all(fd, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n");
         endlessly(fd, "{\"status\": \"healthy\", \"padding\": \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}");
       })},
      {"byte-at-a-time", after_hello([](int fd) {
         for (char byte : std::string("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}")) {
           if (::send(fd, &byte, 1, MSG_NOSIGNAL) <= 0) return;
           std::this_thread::sleep_for(300ms);  // the peer's pace, not a wait of the test's
         }
       })},
      {"reset", after_hello([](int fd) {
         const linger abort_close{1, 0};
         ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &abort_close, sizeof abort_close);
         ::shutdown(fd, SHUT_RDWR);  // with a zero linger the kernel answers with a reset
       })},
  };
  return all;
}

const char* const kProbes[] = {"http", "clickhouse", "kafka", "nats", "redis"};

size_t thread_count() {
  size_t count = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator("/proc/self/task")) ++count;
  return count;
}

size_t resident_kib() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);)
    if (line.rfind("VmRSS:", 0) == 0) return std::stoul(line.substr(6));
  return 0;
}

TEST(HostilePeers, EveryProbeSurvivesEveryHostileAnswerWithTheTargetDownAndTheHubBounded) {
  std::vector<std::unique_ptr<ScriptedServer>> servers;
  std::map<std::string, uint16_t> ports;
  for (const auto& [name, script] : behaviours()) {
    servers.push_back(std::make_unique<ScriptedServer>(script));
    ports[name] = servers.back()->port();
  }
  std::string infrastructure;
  for (const char* probe : kProbes)
    for (const auto& [behaviour, port] : ports)
      infrastructure += "    - {name: " + std::string(probe) + "-" + behaviour + ", probe: " + probe + ", port: " + std::to_string(port) +
                        (std::string(probe) == "http" ? ", endpoint: /health" : "") + "}\n";
  hub::HubOptions options = hub::testing::test_options();
  options.manifest = hub::parse_manifest(R"(listen: 127.0.0.1:0
storage: {backend: memory}
logging: {level: off}
health_monitoring:
  check_interval_seconds: 10
  timeout_ms: 1000
  fall: 1
  max_concurrent_checks: 40
  service_probe: http
  infrastructure:
)" + infrastructure + R"(plugins:
  libraries:
    - library: discovery
      enable: [{implementation: liveness}]
    - library: health-probe
      enable: [{implementation: http}, {implementation: clickhouse}, {implementation: kafka}, {implementation: nats}, {implementation: redis}]
)",
                                         "hostile.yaml", ".");
  options.static_plugins = {{"discovery", &discovery_plugin}, {"health-probe", &health_probe_plugin}};
  auto clock = std::make_shared<hub::ManualClock>();
  options.clock = clock;
  options.health_scheduler_thread = false;
  hub::testing::TestHub hub(std::move(options));
  // Defect 1: a registered service whose health endpoint answers in invalid UTF-8.
  ASSERT_EQ(hub.post("/register", R"({"service_name": "rogue", "host": "127.0.0.1", "port": )" + std::to_string(ports["invalid-utf8"]) +
                                      R"(, "health_endpoint": "/health"})")
                .status,
            201);

  // The peers' threads are the test's: each server has its acceptor now, and a thread per connection later.
  const size_t threads_before = thread_count() - servers.size();
  const size_t memory_before = resident_kib();
  for (int round = 0; round < 3; ++round) {
    clock->advance(11s);
    hub->run_health_checks();
  }
  const size_t memory_after = resident_kib();
  servers.clear();  // joins every peer thread, so what is left is the hub's
  const size_t threads_after = thread_count();

  ASSERT_EQ(hub.get("/health").status, 200) << "the hub is up";
  EXPECT_LE(threads_after, threads_before + 2) << "no thread is left behind in a peer";
  EXPECT_LT(memory_after, memory_before + 64 * 1024) << "resident memory grew from " << memory_before << " to " << memory_after << " KiB";

  const json components = json::parse(hub.get("/health/infrastructure").body);
  for (const char* probe : kProbes)
    for (const auto& [behaviour, port] : ports) {
      const std::string name = std::string(probe) + "-" + behaviour;
      const json& component = components[name];
      EXPECT_EQ(component["status"], "down") << name << ": " << component.dump();
      const std::string message = component["error_message"].is_string() ? component["error_message"].get<std::string>() : "";
      EXPECT_FALSE(message.empty()) << name;
      EXPECT_EQ(message.find('\n'), std::string::npos) << name << ": " << message;
    }
  EXPECT_EQ(components["http-invalid-utf8"]["error_message"], "GET /health: 503 \ufffd\ufffd bad");
  EXPECT_THAT(components["http-overflowing-chunk"]["error_message"].get<std::string>(), HasSubstr("chunked-encoding"));
  EXPECT_THAT(components["http-oversized-headers"]["error_message"].get<std::string>(), HasSubstr("bytes of headers"));
  EXPECT_THAT(components["http-endless-body"]["error_message"].get<std::string>(), HasSubstr("the body runs past"));
  EXPECT_THAT(components["kafka-invalid-utf8"]["error_message"].get<std::string>(), HasSubstr("is not a Kafka broker"));
  EXPECT_THAT(components["redis-endless-body"]["error_message"].get<std::string>(), HasSubstr("Redis answered PING with"));

  const json rogue = json::parse(hub.get("/health/services/rogue").body);
  EXPECT_EQ(rogue["instances"][0]["check"]["status"], "down");
  EXPECT_EQ(rogue["instances"][0]["check"]["message"], "GET /health: 503 \ufffd\ufffd bad");
  const hub::HttpReply alerts = hub.get("/health/alerts");
  ASSERT_EQ(alerts.status, 200);
  EXPECT_THAT(alerts.body, HasSubstr("\"service_down\""));
  EXPECT_TRUE(json::accept(alerts.body)) << alerts.body;
}

}  // namespace
