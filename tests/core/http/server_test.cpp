#include "http/server.hpp"
#include "http/encoding.hpp"
#include "support/raw_http.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>

namespace hub::http {
namespace {

using hub::testing::RawAnswer;
using hub::testing::RawConnection;
using namespace std::chrono_literals;

// A gate a handler waits at until the test opens it.
class Gate {
 public:
  void wait_open() {
    std::unique_lock lock(mutex_);
    ++waiting_;
    changed_.notify_all();
    changed_.wait(lock, [this] { return open_; });
  }
  bool wait_for_waiters(int count) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, 10s, [&] { return waiting_ >= count; });
  }
  void open() {
    std::lock_guard lock(mutex_);
    open_ = true;
    changed_.notify_all();
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  int waiting_ = 0;
  bool open_ = false;
};

Response text(std::string body, int status = 200) {
  return {status, "text/plain", std::move(body)};
}

class HttpServer : public ::testing::Test {
 protected:
  void start(HttpSettings settings = {}) {
    router_->add(
        "GET", "/fast/{word}", [](const Request& r) { return text("fast " + r.params.at("word")); }, Runs::on_io_thread);
    router_->add("POST", "/echo", [](const Request& r) { return text(r.content_type + "|" + r.body); });
    router_->add("GET", "/slow", [this](const Request&) {
      gate_.wait_open();
      return text("slow");
    });
    router_->add(
        "GET", "/big", [](const Request&) { return text(std::string(4 << 20, 'x')); }, Runs::on_io_thread);
    router_->add(
        "GET", "/first/{mode}",
        [](const Request& r) {
          if (!r.may_wait && r.params.at("mode") == "wait")
            return Response::to_worker(
                [&r] { return text(std::string(r.may_wait ? "on a worker" : "on the I/O thread") + ", continued"); });
          return text(r.may_wait ? "on a worker" : "on the I/O thread");
        },
        Runs::on_io_thread_first);
    router_->add("GET", "/throws", [](const Request&) -> Response { throw std::runtime_error("the disk is on fire"); });
    server_ = std::make_unique<Server>(ListenAddress{"127.0.0.1", 0}, settings, router_);
    server_->start();
  }
  void TearDown() override {
    gate_.open();
    server_.reset();
  }
  uint16_t port() const { return server_->port(); }

  std::shared_ptr<Router> router_ = std::make_shared<Router>();
  std::unique_ptr<Server> server_;
  Gate gate_;
};

TEST_F(HttpServer, AnswersManyRequestsOnOneKeptAliveConnection) {
  start();
  RawConnection connection(port());
  for (int i = 0; i < 3; ++i) {
    connection.send("GET /fast/" + std::to_string(i) + " HTTP/1.1\r\nHost: hub\r\n\r\n");
    const RawAnswer answer = connection.answer();
    EXPECT_EQ(answer.status, 200);
    EXPECT_EQ(answer.body, "fast " + std::to_string(i));
    EXPECT_EQ(answer.head.find("Connection: close"), std::string::npos);
  }
  connection.send("POST /echo HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}");
  EXPECT_EQ(connection.answer().body, "application/json|{}");
}

TEST_F(HttpServer, PipelinedAnswersKeepTheirOrderWhenTheFirstWaitsOnAWorker) {
  start();
  RawConnection connection(port());
  connection.send("GET /slow HTTP/1.1\r\n\r\nGET /fast/after HTTP/1.1\r\n\r\n");
  ASSERT_TRUE(gate_.wait_for_waiters(1));
  EXPECT_EQ(connection.answer(200ms).status, 0) << "nothing may overtake the waiting answer";
  gate_.open();
  EXPECT_EQ(connection.answer().body, "slow");
  EXPECT_EQ(connection.answer().body, "fast after");
}

TEST_F(HttpServer, AWaitingHandlerDoesNotStallOtherConnections) {
  HttpSettings settings;
  settings.io_threads = 1;
  start(settings);
  RawConnection waiting(port());
  waiting.send("GET /slow HTTP/1.1\r\n\r\n");
  ASSERT_TRUE(gate_.wait_for_waiters(1));
  RawConnection other(port());
  other.send("GET /fast/meanwhile HTTP/1.1\r\n\r\n");
  EXPECT_EQ(other.answer().body, "fast meanwhile");
  gate_.open();
  EXPECT_EQ(waiting.answer().body, "slow");
}

TEST_F(HttpServer, DecodesChunkedBodiesAndSendsContinueWhenAsked) {
  start();
  RawConnection connection(port());
  connection.send("POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Type: text/plain\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n");
  EXPECT_EQ(connection.answer().body, "text/plain|abcde");

  connection.send("POST /echo HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n");
  EXPECT_EQ(connection.answer().status, 100);
  connection.send("body");
  EXPECT_EQ(connection.answer().body, "|body");
}

TEST_F(HttpServer, AnOversizedBodyGets413NamingTheLimitAndTheConnectionCloses) {
  HttpSettings settings;
  settings.max_body_bytes = 1024;
  start(settings);
  RawConnection connection(port());
  connection.send("POST /echo HTTP/1.1\r\nContent-Length: 5000\r\n\r\n" + std::string(5000, 'a'));
  const RawAnswer answer = connection.answer();
  EXPECT_EQ(answer.status, 413);
  EXPECT_NE(answer.body.find("\"payload_too_large\""), std::string::npos) << answer.body;
  EXPECT_NE(answer.body.find("limit of 1024 bytes"), std::string::npos) << answer.body;
  EXPECT_NE(answer.head.find("Connection: close"), std::string::npos);
  EXPECT_TRUE(connection.closed_by_peer());
}

TEST_F(HttpServer, MalformedRequestsGetAnErrorThatSaysWhatWasWrong) {
  start();
  const std::pair<std::string, int> cases[] = {
      {"NOT HTTP AT ALL\r\n\r\n", 400}, {"GET / HTTP/2.0\r\n\r\n", 505}, {"GET / HTTP/1.1\r\nX: " + std::string(70000, 'a'), 431}};
  for (const auto& [bytes, status] : cases) {
    RawConnection connection(port());
    connection.send(bytes);
    const RawAnswer answer = connection.answer();
    EXPECT_EQ(answer.status, status) << bytes.substr(0, 20);
    EXPECT_NE(answer.body.find("\"message\""), std::string::npos);
    EXPECT_TRUE(connection.closed_by_peer());
  }
}

TEST_F(HttpServer, Http10ClosesAfterItsAnswerAndHeadSendsNoBody) {
  start();
  {
    RawConnection connection(port());
    connection.send("GET /fast/old HTTP/1.0\r\n\r\n");
    const RawAnswer answer = connection.answer();
    EXPECT_EQ(answer.body, "fast old");
    EXPECT_NE(answer.head.find("Connection: close"), std::string::npos);
    EXPECT_TRUE(connection.closed_by_peer());
  }
  RawConnection connection(port());
  connection.expect_head_only(true);
  connection.send("HEAD /fast/head HTTP/1.1\r\n\r\nGET /fast/next HTTP/1.1\r\n\r\n");
  const RawAnswer head = connection.answer();
  EXPECT_EQ(head.status, 200);
  EXPECT_NE(head.head.find("Content-Length: 9"), std::string::npos);
  EXPECT_TRUE(head.body.empty());
  connection.expect_head_only(false);
  EXPECT_EQ(connection.answer().body, "fast next");
}

TEST_F(HttpServer, AHandlerTriedOnTheIoThreadFirstMovesToAWorkerWhenItMustWait) {
  start();
  RawConnection connection(port());
  connection.send("GET /first/quick HTTP/1.1\r\n\r\nGET /first/wait HTTP/1.1\r\n\r\n");
  EXPECT_EQ(connection.answer().body, "on the I/O thread");
  EXPECT_EQ(connection.answer().body, "on a worker, continued");  // the rest ran, not the handler again
}

TEST_F(HttpServer, AThrowingHandlerGets500WithItsReason) {
  start();
  RawConnection connection(port());
  connection.send("GET /throws HTTP/1.1\r\n\r\n");
  const RawAnswer answer = connection.answer();
  EXPECT_EQ(answer.status, 500);
  EXPECT_NE(answer.body.find("the disk is on fire"), std::string::npos);
  connection.send("GET /fast/still HTTP/1.1\r\n\r\n");
  EXPECT_EQ(connection.answer().body, "fast still");
}

TEST_F(HttpServer, AFullWorkerQueueAnswers503AtOnce) {
  HttpSettings settings;
  settings.threads = 1;
  settings.max_queued = 1;
  start(settings);
  RawConnection running(port());
  running.send("GET /slow HTTP/1.1\r\n\r\n");
  ASSERT_TRUE(gate_.wait_for_waiters(1));
  // One of the next two takes the only queue place and the other is refused, whichever comes first.
  RawConnection first(port()), second(port());
  first.send("GET /slow HTTP/1.1\r\n\r\n");
  second.send("GET /slow HTTP/1.1\r\n\r\n");
  RawConnection* refused = nullptr;
  RawAnswer refusal;
  for (const auto deadline = std::chrono::steady_clock::now() + 10s; !refused && std::chrono::steady_clock::now() < deadline;)
    for (RawConnection* connection : {&first, &second})
      if (!refused && (refusal = connection->answer(50ms)).status != 0) refused = connection;
  ASSERT_NE(refused, nullptr);
  EXPECT_EQ(refusal.status, 503);
  EXPECT_NE(refusal.body.find("server_busy"), std::string::npos);
  gate_.open();
  EXPECT_EQ(running.answer().body, "slow");
  EXPECT_EQ((refused == &first ? second : first).answer().body, "slow");
}

TEST_F(HttpServer, ALargeAnswerReachesAReaderThatIsSlowToStart) {
  start();
  RawConnection connection(port());
  connection.send("GET /big HTTP/1.1\r\n\r\nGET /fast/then HTTP/1.1\r\n\r\n");
  std::this_thread::sleep_for(100ms);  // lets the socket buffers fill so the hub must wait to write
  const RawAnswer big = connection.answer();
  EXPECT_EQ(big.body.size(), size_t{4} << 20);
  EXPECT_EQ(connection.answer().body, "fast then");
}

TEST_F(HttpServer, AnIdleConnectionIsClosedAfterTheTimeout) {
  HttpSettings settings;
  settings.idle_timeout_seconds = 1;
  start(settings);
  RawConnection connection(port());
  connection.send("GET /fast/once HTTP/1.1\r\n\r\n");
  EXPECT_EQ(connection.answer().body, "fast once");
  EXPECT_TRUE(connection.closed_by_peer(5s));
}

// Sends `bytes` one at a time, a byte every `pace`, until an answer comes; returns it.
RawAnswer trickle(RawConnection& connection, const std::string& bytes, std::chrono::milliseconds pace) {
  for (char byte : bytes) {
    try {
      connection.send(std::string(1, byte));
    } catch (const std::runtime_error&) {
      break;  // the hub closed its side: the answer is already there
    }
    if (RawAnswer answer = connection.answer(pace); answer.status) return answer;
  }
  return connection.answer();
}

TEST_F(HttpServer, AHeadThatTricklesInIsCutAtItsDeadlineThoughEveryByteIsActivity) {
  HttpSettings settings;
  settings.header_timeout_seconds = 1;
  start(settings);
  RawConnection connection(port());
  const RawAnswer answer = trickle(connection, "GET /fast/slowloris HTTP/1.1\r\nX-Padding: " + std::string(100, 'a'), 100ms);
  EXPECT_EQ(answer.status, 408);
  EXPECT_NE(answer.body.find("the request head did not arrive within 1 s"), std::string::npos) << answer.body;
  EXPECT_TRUE(connection.closed_by_peer(5s));
}

TEST_F(HttpServer, ABodyThatTricklesInIsCutAtItsOwnDeadline) {
  HttpSettings settings;
  settings.body_timeout_seconds = 1;
  start(settings);
  RawConnection connection(port());
  connection.send("POST /echo HTTP/1.1\r\nContent-Length: 100\r\n\r\n");
  const RawAnswer answer = trickle(connection, std::string(100, 'b'), 100ms);
  EXPECT_EQ(answer.status, 408);
  EXPECT_NE(answer.body.find("the request body did not arrive within 1 s"), std::string::npos) << answer.body;
}

TEST_F(HttpServer, AChunkSizeLineWithoutEndIsRefusedWithoutBufferingIt) {
  start();
  RawConnection connection(port());
  connection.send("PUT /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1;");
  for (int i = 0; i < 64; ++i) {  // 4 MiB of one endless extension; the hub refuses after 1 KiB and discards the rest
    try {
      connection.send(std::string(64 * 1024, 'e'));
    } catch (const std::runtime_error&) {
      break;
    }
  }
  const RawAnswer answer = connection.answer();
  EXPECT_EQ(answer.status, 400);
  EXPECT_NE(answer.body.find("chunk-size line is longer than 1024 bytes"), std::string::npos) << answer.body;
}

TEST_F(HttpServer, AtTheConnectionCapTheConnectionIdleLongestMakesRoom) {
  HttpSettings settings;
  settings.io_threads = 1;
  settings.max_connections = 20;
  start(settings);
  std::vector<std::unique_ptr<RawConnection>> idle;
  for (int i = 0; i < 40; ++i) idle.push_back(std::make_unique<RawConnection>(port()));
  RawConnection newcomer(port());
  newcomer.send("GET /fast/room HTTP/1.1\r\n\r\n");
  EXPECT_EQ(newcomer.answer().body, "fast room");
  EXPECT_TRUE(idle.front()->closed_by_peer(5s));  // the oldest idle ones made room
}

TEST_F(HttpServer, AtTheConnectionCapWithNoneIdleANewClientIsToldSoAtOnce) {
  HttpSettings settings;
  settings.io_threads = 1;
  settings.max_connections = 5;
  start(settings);
  std::vector<std::unique_ptr<RawConnection>> busy;
  for (int i = 0; i < 5; ++i) {  // each waits for its answer: not idle
    busy.push_back(std::make_unique<RawConnection>(port()));
    busy.back()->send("GET /slow HTTP/1.1\r\n\r\n");
  }
  ASSERT_TRUE(gate_.wait_for_waiters(5));
  RawConnection newcomer(port());
  newcomer.send("GET /fast/late HTTP/1.1\r\n\r\n");
  const RawAnswer answer = newcomer.answer();
  EXPECT_EQ(answer.status, 503);
  EXPECT_NE(answer.body.find("connection cap"), std::string::npos) << answer.body;
  gate_.open();
  for (auto& connection : busy) EXPECT_EQ(connection->answer().body, "slow");
}

TEST_F(HttpServer, AClientLeavingWhileItsRequestWaitsHarmsNoOne) {
  start();
  {
    RawConnection leaving(port());
    leaving.send("GET /slow HTTP/1.1\r\n\r\n");
    ASSERT_TRUE(gate_.wait_for_waiters(1));
  }
  gate_.open();
  RawConnection next(port());
  next.send("GET /slow HTTP/1.1\r\n\r\n");
  EXPECT_EQ(next.answer().body, "slow");
}

TEST_F(HttpServer, AnswersARequestSentBeforeTheClientShutsItsWriteSide) {
  start();
  RawConnection connection(port());
  connection.send("GET /slow HTTP/1.1\r\n\r\n");
  connection.shutdown_writes();
  ASSERT_TRUE(gate_.wait_for_waiters(1));
  gate_.open();
  EXPECT_EQ(connection.answer().body, "slow");
  EXPECT_TRUE(connection.closed_by_peer());
}

TEST_F(HttpServer, ServesManyConcurrentConnections) {
  start();
  std::vector<std::future<int>> clients;
  for (int c = 0; c < 50; ++c)
    clients.push_back(std::async(std::launch::async, [this, c] {
      RawConnection connection(port());
      int answered = 0;
      for (int i = 0; i < 40; ++i) {
        const std::string word = std::to_string(c) + "-" + std::to_string(i);
        const bool slow_path = i % 2 == 0;
        connection.send(slow_path ? "POST /echo HTTP/1.1\r\nContent-Length: " + std::to_string(word.size()) + "\r\n\r\n" + word
                                  : "GET /fast/" + word + " HTTP/1.1\r\n\r\n");
        const RawAnswer answer = connection.answer();
        if (answer.body == (slow_path ? "|" + word : "fast " + word)) ++answered;
      }
      return answered;
    }));
  for (auto& client : clients) EXPECT_EQ(client.get(), 40);
}

TEST_F(HttpServer, StopWaitsForARunningHandlerAndClosesConnections) {
  start();
  RawConnection connection(port());
  connection.send("GET /slow HTTP/1.1\r\n\r\n");
  ASSERT_TRUE(gate_.wait_for_waiters(1));
  std::atomic<bool> stopped{false};
  std::thread stopper([&] {
    server_->stop();
    stopped = true;
  });
  EXPECT_TRUE(connection.closed_by_peer());
  gate_.open();
  stopper.join();
  EXPECT_TRUE(stopped);
}

}  // namespace
}  // namespace hub::http
