// Each built-in probe against a real peer: PostgreSQL, nats-server and
// redis-server from tools/dev test, and in-test servers that speak Kafka's
// ApiVersions and ClickHouse's /ping, hang, send garbage or hang up midway.
#include "health_probe_plugin.hpp"
#include "support/free_port.hpp"
#include "support/integration_servers.hpp"
#include "support/scripted_server.hpp"

#include <hub/errors.hpp>
#include "health/health_probe.hpp"
#include "plugin_host/plugin_loader.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <thread>

using hub::testing::ScriptedServer;
using testing::HasSubstr;
using namespace std::chrono_literals;

namespace {

std::unique_ptr<hub::PluginInstance> make_instance(const std::string& implementation, const std::string& config_yaml = "{}") {
  static hub::PluginLoader loader;
  static auto library = loader.add_static("health-probe", &health_probe_plugin);
  const hub_implementation* found = library->find(implementation, HUB_KIND_HEALTH_PROBE);
  if (!found) throw std::runtime_error("no implementation " + implementation);
  return hub::PluginInstance::create(library, *found, implementation, hub::PluginConfig::from_yaml(config_yaml), {});
}

hub::ProbeOutcome check(const std::string& implementation, hub::CheckTarget target, std::chrono::milliseconds timeout = 5s,
                        const std::string& config_yaml = "{}") {
  hub::HealthProbe probe(make_instance(implementation, config_yaml));
  if (target.host.empty()) target.host = "127.0.0.1";
  if (target.name.empty()) target.name = "target";
  return probe.check(target, timeout);
}

// An HTTP server that answers every request with `answer`.
ScriptedServer http_server(std::string answer) {
  return ScriptedServer([answer](int fd) {
    if (ScriptedServer::read_until(fd, "\r\n\r\n").empty()) return;
    ScriptedServer::send_all(fd, answer);
    ::shutdown(fd, SHUT_WR);
  });
}

std::string http_answer(const std::string& status_line, const std::string& body) {
  return "HTTP/1.1 " + status_line + "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" +
         body;
}

void garbage(int fd) {
  static constexpr char kNoise[] = "\x00\x01\x7f\xff garbage, not a protocol\r\n";
  ScriptedServer::send_all(fd, std::string(kNoise, sizeof kNoise - 1));
  ::shutdown(fd, SHUT_WR);
}

}  // namespace

// --------------------------------------------------------------------- http

TEST(HttpProbe, HealthyOnA2xxAndSaysWhatItGot) {
  ScriptedServer server = http_server(http_answer("200 OK", R"({"status":"healthy"})"));
  hub::ProbeOutcome outcome = check("http", {.port = server.port(), .endpoint = "/health"});
  EXPECT_EQ(outcome.status, HUB_HEALTH_HEALTHY) << outcome.message;
  EXPECT_EQ(outcome.message, "GET /health: 200 OK");
  EXPECT_GT(outcome.latency_us, 0);
}

TEST(HttpProbe, DownOnAnUnexpectedStatusAndDegradedWhenTheBodySaysSo) {
  ScriptedServer failing = http_server(http_answer("503 Service Unavailable", "{}"));
  hub::ProbeOutcome down = check("http", {.port = failing.port(), .endpoint = "/health"});
  EXPECT_EQ(down.status, HUB_HEALTH_DOWN);
  EXPECT_EQ(down.message, "GET /health: 503 Service Unavailable");

  ScriptedServer degraded = http_server(http_answer("200 OK", R"({"status": "degraded", "reason": "lagging"})"));
  hub::ProbeOutcome slow = check("http", {.port = degraded.port()});
  EXPECT_EQ(slow.status, HUB_HEALTH_DEGRADED);
  EXPECT_THAT(slow.message, HasSubstr("GET /health: 200 OK"));  // the config's default path
}

TEST(HttpProbe, ExpectedStatusCodesComeFromTheConfig) {
  ScriptedServer server = http_server("HTTP/1.1 204 No Content\r\n\r\n");
  EXPECT_EQ(check("http", {.port = server.port()}, 5s, "{expected_status: [204]}").status, HUB_HEALTH_HEALTHY);
  EXPECT_EQ(check("http", {.port = server.port()}, 5s, "{expected_status: [200]}").status, HUB_HEALTH_DOWN);
}

TEST(HttpProbe, ABadConfigIsRefusedAtCreationWithTheKey) {
  EXPECT_THAT([] { make_instance("http", "{expected_status: [42]}"); },
              testing::ThrowsMessage<hub::PluginError>(HasSubstr("expected_status.0: 42 is not an HTTP status code")));
  EXPECT_THAT([] { make_instance("http", "{path: health}"); },
              testing::ThrowsMessage<hub::PluginError>(HasSubstr("path must start with '/'")));
}

TEST(HttpProbe, ChunkedBodiesAreRead) {
  ScriptedServer server =
      http_server("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n14\r\n{\"status\":\"degraded\"\r\n1\r\n}\r\n0\r\n\r\n");
  EXPECT_EQ(check("http", {.port = server.port()}).status, HUB_HEALTH_DEGRADED);
}

TEST(HttpProbe, ARefusedConnectionSaysSo) {
  const uint16_t port = hub::testing::free_port();
  hub::ProbeOutcome outcome = check("http", {.port = port});
  EXPECT_EQ(outcome.status, HUB_HEALTH_DOWN);
  EXPECT_EQ(outcome.message, "connect 127.0.0.1:" + std::to_string(port) + ": Connection refused");
}

TEST(HttpProbe, ATargetThatNeverAnswersTimesOutAtTheDeadline) {
  ScriptedServer server(&ScriptedServer::hang);
  const auto started = std::chrono::steady_clock::now();
  hub::ProbeOutcome outcome = check("http", {.port = server.port()}, 300ms);
  EXPECT_EQ(outcome.status, HUB_HEALTH_DOWN);
  EXPECT_THAT(outcome.message, testing::AnyOf(HasSubstr("timed out"), HasSubstr("timed out after 300 ms")));
  EXPECT_LT(std::chrono::steady_clock::now() - started, 3s);
}

// Answers `head` and then, until the probe leaves, whatever `more` makes next.
ScriptedServer endless_server(std::string head, std::function<std::string()> more) {
  return ScriptedServer([head, more](int fd) {
    if (ScriptedServer::read_until(fd, "\r\n\r\n").empty()) return;
    ScriptedServer::send_all(fd, head);
    for (int i = 0; i < 100'000; ++i)
      if (::send(fd, more().data(), more().size(), MSG_NOSIGNAL) <= 0) return;
  });
}

TEST(HttpProbe, AnOverflowingChunkSizeIsDownAtOnce) {
  ScriptedServer server =
      http_server("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nX\r\nffffffffffffffec\r\nYYYY\r\n0\r\n\r\n");
  const auto started = std::chrono::steady_clock::now();
  const hub::ProbeOutcome outcome = check("http", {.port = server.port()}, 5s);
  EXPECT_EQ(outcome.status, HUB_HEALTH_DOWN);
  EXPECT_THAT(outcome.message, HasSubstr("chunk")) << outcome.message;
  EXPECT_LT(std::chrono::steady_clock::now() - started, 5s);
}

TEST(HttpProbe, EndlessHeadersOrAnEndlessBodyAreCutAtTheirCaps) {
  ScriptedServer headers = endless_server("HTTP/1.1 200 OK\r\n", [] { return std::string("X-Padding: aaaaaaaaaaaaaaaa\r\n"); });
  const hub::ProbeOutcome many_headers = check("http", {.port = headers.port()});
  EXPECT_EQ(many_headers.status, HUB_HEALTH_DOWN);
  EXPECT_THAT(many_headers.message, HasSubstr("sent more than 65536 bytes of headers"));

  ScriptedServer body =
      endless_server("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", [] { return std::string("10\r\n0123456789abcdef\r\n"); });
  const hub::ProbeOutcome long_body = check("http", {.port = body.port()});
  EXPECT_EQ(long_body.status, HUB_HEALTH_DOWN);
  EXPECT_THAT(long_body.message, HasSubstr("GET /health: 200, but the body runs past 65536 bytes"));
}

TEST(HttpProbe, AReasonInInvalidUtf8ReachesTheHubAsValidText) {
  ScriptedServer server = http_server("HTTP/1.1 503 \xff\xfe bad\r\nContent-Length: 0\r\n\r\n");
  const hub::ProbeOutcome outcome = check("http", {.port = server.port()});
  EXPECT_EQ(outcome.status, HUB_HEALTH_DOWN);
  EXPECT_EQ(outcome.message, "GET /health: 503 \ufffd\ufffd bad");
}

TEST(HttpProbe, ARedirectIsFollowedOnlyWhenTheConfigAllowsIt) {
  ScriptedServer target = http_server(http_answer("200 OK", "{}"));
  ScriptedServer redirecting = http_server("HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:" + std::to_string(target.port()) +
                                           "/health\r\nContent-Length: 0\r\n\r\n");
  const hub::ProbeOutcome plain = check("http", {.port = redirecting.port()});
  EXPECT_EQ(plain.status, HUB_HEALTH_DOWN);
  EXPECT_EQ(plain.message, "GET /health: 302 Found");
  EXPECT_EQ(target.accepted(), 0);
  const hub::ProbeOutcome followed = check("http", {.port = redirecting.port()}, 5s, "{max_redirects: 1}");
  EXPECT_EQ(followed.status, HUB_HEALTH_HEALTHY) << followed.message;
  EXPECT_EQ(target.accepted(), 1);
}

// openssl s_server with a certificate of its own for 127.0.0.1, stopped at the end of the test.
class TlsServer {
 public:
  explicit TlsServer(const std::filesystem::path& folder) : port_(hub::testing::free_port()) {
    cert_ = folder / "cert.pem";
    const std::string key = (folder / "key.pem").string();
    const std::string make_cert =
        "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 -keyout " + key +
        " -out " + cert_.string() + " >/dev/null 2>&1";
    if (std::system(make_cert.c_str()) != 0) throw std::runtime_error("openssl could not make a certificate");
    pid_ = ::fork();
    if (pid_ == 0) {
      ::execlp("openssl", "openssl", "s_server", "-quiet", "-www", "-accept", std::to_string(port_).c_str(), "-cert", cert_.c_str(), "-key",
               key.c_str(), static_cast<char*>(nullptr));
      std::_Exit(127);
    }
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (!accepts() && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(10ms);  // polling, bounded
  }
  ~TlsServer() {
    ::kill(pid_, SIGTERM);
    ::waitpid(pid_, nullptr, 0);
  }
  uint16_t port() const { return port_; }
  const std::filesystem::path& certificate() const { return cert_; }

 private:
  bool accepts() const {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port_);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const bool connected = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
    ::close(fd);
    return connected;
  }
  uint16_t port_;
  std::filesystem::path cert_;
  pid_t pid_ = -1;
};

TEST(HttpProbe, HttpsIsVerifiedAgainstTheSystemsCasOrTheConfiguredOne) {
  const std::filesystem::path folder = std::filesystem::temp_directory_path() / ("hub-tls-" + std::to_string(::getpid()));
  std::filesystem::create_directories(folder);
  {
    TlsServer server(folder);
    const hub::CheckTarget target{.host = "127.0.0.1", .port = server.port(), .endpoint = "/", .attributes = {{"protocol", "https"}}};
    const hub::ProbeOutcome unknown_ca = check("http", target);
    EXPECT_EQ(unknown_ca.status, HUB_HEALTH_DOWN);
    EXPECT_THAT(unknown_ca.message, HasSubstr("certificate"));
    const hub::ProbeOutcome trusted = check("http", target, 5s, "{ca_file: " + server.certificate().string() + "}");
    EXPECT_EQ(trusted.status, HUB_HEALTH_HEALTHY) << trusted.message;
  }
  std::filesystem::remove_all(folder);
}

TEST(HttpProbe, ATargetThatIsNotARequestPathIsNeverSent) {
  ScriptedServer server = http_server(http_answer("200 OK", "{}"));
  const hub::ProbeOutcome outcome = check("http", {.port = server.port(), .endpoint = "/health HTTP/1.1\r\nHost: evil\r\n\r\nGET /admin"});
  EXPECT_EQ(outcome.status, HUB_HEALTH_DOWN);
  EXPECT_THAT(outcome.message, HasSubstr("is not a path the probe may request"));
  EXPECT_EQ(server.accepted(), 0);
}

TEST(HttpProbe, GarbageAndAnAnswerCutShortAreDown) {
  ScriptedServer noise(&garbage);
  hub::ProbeOutcome outcome = check("http", {.port = noise.port()});
  EXPECT_EQ(outcome.status, HUB_HEALTH_DOWN);
  EXPECT_THAT(outcome.message, HasSubstr("did not answer in HTTP"));

  ScriptedServer not_http = http_server("SSH-2.0-OpenSSH_9.2\r\n\r\n");
  EXPECT_THAT(check("http", {.port = not_http.port()}).message, HasSubstr("did not answer in HTTP"));

  ScriptedServer silent_close = ScriptedServer([](int fd) {
    ScriptedServer::read_until(fd, "\r\n\r\n");
    ::shutdown(fd, SHUT_WR);
  });
  EXPECT_THAT(check("http", {.port = silent_close.port()}).message, HasSubstr("closed the connection before answering"));

  ScriptedServer cut = http_server("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"sta");
  hub::ProbeOutcome cut_short = check("http", {.port = cut.port()});
  EXPECT_EQ(cut_short.status, HUB_HEALTH_DOWN);
  EXPECT_THAT(cut_short.message, HasSubstr("closed the connection in the middle of the body"));
}

// ---------------------------------------------------------------------- tcp

TEST(TcpProbe, HealthyWhenTheConnectionIsAcceptedDownWhenRefused) {
  ScriptedServer server(&ScriptedServer::hang);
  EXPECT_EQ(check("tcp", {.port = server.port()}).status, HUB_HEALTH_HEALTHY);
  hub::ProbeOutcome refused = check("tcp", {.port = hub::testing::free_port()});
  EXPECT_EQ(refused.status, HUB_HEALTH_DOWN);
  EXPECT_THAT(refused.message, HasSubstr("Connection refused"));
  EXPECT_EQ(check("tcp", {.port = 0}).message, "the target 127.0.0.1 has no valid port (0)");
}

// -------------------------------------------------------------------- kafka

namespace {

// Answers ApiVersions v0 as a broker does: correlation id, error code, [api_key, min, max]...
ScriptedServer kafka_broker(int16_t error_code) {
  return ScriptedServer([error_code](int fd) {
    const std::string size = ScriptedServer::read_exact(fd, 4);
    if (size.empty()) return;
    const uint32_t length = (uint8_t(size[0]) << 24) | (uint8_t(size[1]) << 16) | (uint8_t(size[2]) << 8) | uint8_t(size[3]);
    const std::string request = ScriptedServer::read_exact(fd, length);
    if (request.size() < 8 || request[0] != 0 || request[1] != 18) return;  // not ApiVersions
    std::string body = request.substr(4, 4);                                // the correlation id, echoed
    body += std::string{char(error_code >> 8), char(error_code & 0xff)};
    const std::string apis[] = {std::string("\x00\x00\x00\x00\x00\x09", 6), std::string("\x00\x01\x00\x00\x00\x0d", 6),
                                std::string("\x00\x12\x00\x00\x00\x03", 6)};
    body += std::string("\x00\x00\x00\x03", 4) + apis[0] + apis[1] + apis[2];
    const uint32_t out = static_cast<uint32_t>(body.size());
    ScriptedServer::send_all(fd, std::string{char(out >> 24), char(out >> 16), char(out >> 8), char(out)} + body);
  });
}

}  // namespace

TEST(KafkaProbe, HealthyWhenTheBrokerAnswersApiVersions) {
  ScriptedServer broker = kafka_broker(0);
  hub::ProbeOutcome outcome = check("kafka", {.port = broker.port()});
  EXPECT_EQ(outcome.status, HUB_HEALTH_HEALTHY) << outcome.message;
  EXPECT_EQ(outcome.message, "ApiVersions: the broker supports 3 APIs");
}

TEST(KafkaProbe, AnErrorCodeGarbageOrSilenceIsDown) {
  ScriptedServer refusing = kafka_broker(35);
  EXPECT_EQ(check("kafka", {.port = refusing.port()}).message, "the Kafka broker answered ApiVersions with error code 35");
  ScriptedServer noise(&garbage);
  hub::ProbeOutcome outcome = check("kafka", {.port = noise.port()});
  EXPECT_EQ(outcome.status, HUB_HEALTH_DOWN);
  EXPECT_THAT(outcome.message, HasSubstr("no whole ApiVersions response: 127.0.0.1:"));
  ScriptedServer huge([](int fd) { ScriptedServer::send_all(fd, std::string("\x7f\xff\xff\xffjunk", 8)); });
  EXPECT_THAT(check("kafka", {.port = huge.port()}).message, HasSubstr("is not a Kafka broker: its answer claims 2147483647 bytes"));
  ScriptedServer silent(&ScriptedServer::hang);
  EXPECT_THAT(check("kafka", {.port = silent.port()}, 300ms).message, HasSubstr("timed out"));
}

// --------------------------------------------------------------- clickhouse

TEST(ClickHouseProbe, PingAnsweredByOk) {
  ScriptedServer server = http_server("HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=UTF-8\r\nContent-Length: 4\r\n\r\nOk.\n");
  hub::ProbeOutcome outcome = check("clickhouse", {.port = server.port()});
  EXPECT_EQ(outcome.status, HUB_HEALTH_HEALTHY) << outcome.message;
  ScriptedServer wrong = http_server(http_answer("200 OK", "nope"));
  EXPECT_EQ(check("clickhouse", {.port = wrong.port()}).message, "GET /ping answered 200 but not 'Ok.': 'nope'");
  ScriptedServer failing = http_server(http_answer("500 Internal Server Error", ""));
  EXPECT_EQ(check("clickhouse", {.port = failing.port()}).message, "GET /ping: 500 Internal Server Error");
}

// --------------------------------------------------------------------- exec

TEST(ExecProbe, ExitCodesMapToStatusesWithTheLastLineAsMessage) {
  hub::ProbeOutcome passing = check("exec", {.endpoint = "echo starting; echo 'backups: 3 h old'"});
  EXPECT_EQ(passing.status, HUB_HEALTH_HEALTHY);
  EXPECT_EQ(passing.message, "backups: 3 h old");
  hub::ProbeOutcome warning = check("exec", {.endpoint = "echo 'backups: 25 h old' >&2; exit 1"});
  EXPECT_EQ(warning.status, HUB_HEALTH_DEGRADED);
  EXPECT_EQ(warning.message, "backups: 25 h old");
  hub::ProbeOutcome critical = check("exec", {.endpoint = "echo 'no backup for 3 days'; exit 2"});
  EXPECT_EQ(critical.status, HUB_HEALTH_DOWN);
  EXPECT_EQ(critical.message, "no backup for 3 days");
  hub::ProbeOutcome unknown = check("exec", {.endpoint = "exit 7"});
  EXPECT_EQ(unknown.status, HUB_HEALTH_DOWN);
  EXPECT_EQ(unknown.message, "'exit 7' exited with code 7");
  EXPECT_EQ(check("exec", {.endpoint = "kill -9 $$"}).message, "'kill -9 $$' was killed by signal 9");
  EXPECT_EQ(check("exec", {.endpoint = ""}).message, "the target has no command (its endpoint is empty)");
}

TEST(ExecProbe, ACommandStillRunningAtTheDeadlineIsKilledWithItsChildren) {
  const std::filesystem::path pid_file = std::filesystem::temp_directory_path() / ("exec-probe-" + std::to_string(::getpid()));
  const std::string command = "sleep 30 & echo $! > " + pid_file.string() + "; wait";
  hub::ProbeOutcome outcome = check("exec", {.endpoint = command}, 500ms);
  EXPECT_EQ(outcome.status, HUB_HEALTH_DOWN);
  EXPECT_THAT(outcome.message, HasSubstr("did not finish before the deadline and was killed"));
  pid_t sleeper = 0;
  std::ifstream(pid_file) >> sleeper;
  std::filesystem::remove(pid_file);
  ASSERT_GT(sleeper, 0);
  // Killed means gone, or a zombie waiting for whoever adopted it to reap it. SIGKILL is delivered when the
  // kernel next runs the process, which on a loaded machine may take a moment: wait for it, with a deadline.
  const auto killed = [&](std::string& state) {
    std::ifstream stat("/proc/" + std::to_string(sleeper) + "/stat");
    std::string pid, command_name;
    stat >> pid >> command_name >> state;
    return !stat || state == "Z";
  };
  std::string state;
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (!killed(state) && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(5ms);  // polling, bounded
  EXPECT_TRUE(killed(state)) << "the command's child outlived the check by 5 s, in state " << state;
}

TEST(ExecProbe, AShellThatIsNotExecutableIsRefusedAtCreation) {
  EXPECT_THAT([] { make_instance("exec", "{shell: /nonexistent/sh}"); },
              testing::ThrowsMessage<hub::PluginError>(HasSubstr("shell '/nonexistent/sh' is not an executable file")));
}

// ------------------------------------------------- against real servers

TEST(PostgresProbe, SelectOneOnARealServerAndTheServersOwnRefusal) {
  const auto postgres = hub::testing::test_postgres();
  HUB_NEED_SERVER(postgres, "HUB_TEST_PG_HOST", "PostgreSQL");
  const std::string config = "{dbname: " + postgres->dbname + ", user: " + postgres->user + "}";
  hub::ProbeOutcome outcome = check("postgres", {.host = postgres->host, .port = postgres->port}, 5s, config);
  EXPECT_EQ(outcome.status, HUB_HEALTH_HEALTHY) << outcome.message;
  EXPECT_EQ(outcome.message, "SELECT 1: ok");

  hub::ProbeOutcome missing =
      check("postgres", {.host = postgres->host, .port = postgres->port}, 5s, "{dbname: no_such_database, user: " + postgres->user + "}");
  EXPECT_EQ(missing.status, HUB_HEALTH_DOWN);
  EXPECT_THAT(missing.message, HasSubstr("no_such_database"));

  hub::ProbeOutcome failing =
      check("postgres", {.host = postgres->host, .port = postgres->port}, 5s, config.substr(0, config.size() - 1) + ", query: SELEC 1}");
  EXPECT_THAT(failing.message, HasSubstr("SELEC 1: ERROR:  syntax error"));
  EXPECT_THAT(check("postgres", {.port = hub::testing::free_port()}, 5s, config).message, HasSubstr("connect: "));
}

TEST(NatsProbe, PingPongWithARealServerAndARefusalFromAnythingElse) {
  const auto url = hub::testing::test_nats_url();
  HUB_NEED_SERVER(url, "HUB_TEST_NATS_URL", "nats-server");
  const uint16_t port = static_cast<uint16_t>(std::stoi(url->substr(url->rfind(':') + 1)));
  hub::ProbeOutcome outcome = check("nats", {.port = port});
  EXPECT_EQ(outcome.status, HUB_HEALTH_HEALTHY) << outcome.message;
  EXPECT_EQ(outcome.message, "PING answered by PONG");
  ScriptedServer talker([](int fd) { ScriptedServer::send_all(fd, "HTTP/1.1 400 Bad Request\r\n\r\n"); });
  EXPECT_EQ(check("nats", {.port = talker.port()}).message,
            "127.0.0.1:" + std::to_string(talker.port()) + " is not a NATS server: it greeted with 'HTTP/1.1 400 Bad Request'");
}

TEST(RedisProbe, PingPongWithARealServer) {
  const auto redis = hub::testing::test_redis();
  HUB_NEED_SERVER(redis, "HUB_TEST_REDIS_ADDRESS", "redis-server");
  hub::ProbeOutcome outcome = check("redis", {.host = redis->first, .port = redis->second});
  EXPECT_EQ(outcome.status, HUB_HEALTH_HEALTHY) << outcome.message;
  EXPECT_EQ(outcome.message, "PING answered by PONG");
  // The server has no password: AUTH is refused, and the message is the server's.
  ::setenv("HUB_TEST_WRONG_REDIS_PASSWORD", "not-the-password", 1);
  hub::ProbeOutcome refused =
      check("redis", {.host = redis->first, .port = redis->second}, 5s, "{password_env: HUB_TEST_WRONG_REDIS_PASSWORD}");
  EXPECT_EQ(refused.status, HUB_HEALTH_DOWN);
  EXPECT_THAT(refused.message, HasSubstr("Redis refused AUTH: -ERR"));
  EXPECT_EQ(check("redis", {.host = redis->first, .port = redis->second}, 5s, "{password_env: HUB_TEST_UNSET_VARIABLE}").message,
            "the environment variable HUB_TEST_UNSET_VARIABLE (password_env) is not set");
  ScriptedServer noise(&garbage);
  EXPECT_THAT(check("redis", {.port = noise.port()}).message, HasSubstr("Redis answered PING with"));
}
