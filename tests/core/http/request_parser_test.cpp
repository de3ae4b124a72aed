#include "http/request_parser.hpp"

#include <gtest/gtest.h>

namespace hub::http {
namespace {

using State = ParseOutcome::State;

const std::string kChunkedHead = "POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n";

ParseOutcome parse(const std::string& input, ParsedRequest& request, ParseLimits limits = {}) {
  return parse_request(input, limits, request);
}

TEST(RequestParser, ReadsAWholeRequestAndSaysHowMuchItUsed) {
  const std::string first =
      "POST /register?x=1 HTTP/1.1\r\nHost: hub\r\ncontent-type: application/json\r\nAccept: application/x-protobuf\r\n"
      "Content-Length: 5\r\n\r\nhello";
  ParsedRequest request;
  const ParseOutcome outcome = parse(first + "GET / HTTP/1.1\r\n\r\n", request);
  ASSERT_EQ(outcome.state, State::complete);
  EXPECT_EQ(outcome.consumed, first.size());
  EXPECT_EQ(request.method, "POST");
  EXPECT_EQ(request.target, "/register?x=1");
  EXPECT_EQ(request.content_type, "application/json");
  EXPECT_EQ(request.accept, "application/x-protobuf");
  EXPECT_EQ(request.body, "hello");
  EXPECT_TRUE(request.keep_alive);
}

TEST(RequestParser, NeedsMoreUntilTheLastByteArrives) {
  const std::string whole = "POST /a HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc";
  for (size_t cut = 0; cut < whole.size(); ++cut) {
    ParsedRequest request;
    EXPECT_EQ(parse(whole.substr(0, cut), request).state, State::need_more) << "cut at " << cut;
  }
  ParsedRequest request;
  EXPECT_EQ(parse(whole, request).state, State::complete);
}

TEST(RequestParser, DecodesAChunkedBodyWithExtensionsAndTrailers) {
  const std::string whole =
      "POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n4;name=x\r\nWiki\r\n6\r\npedia \r\nE\r\nin \r\n\r\nchunks.\r\n"
      "0\r\nTrailer: yes\r\n\r\n";
  for (size_t cut = 0; cut < whole.size(); ++cut) {
    ParsedRequest request;
    ASSERT_EQ(parse(whole.substr(0, cut), request).state, State::need_more) << "cut at " << cut;
  }
  ParsedRequest request;
  const ParseOutcome outcome = parse(whole + "leftover", request);
  ASSERT_EQ(outcome.state, State::complete);
  EXPECT_EQ(outcome.consumed, whole.size());
  EXPECT_EQ(request.body, "Wikipedia in \r\n\r\nchunks.");
}

TEST(RequestParser, KeepAliveFollowsTheVersionAndTheConnectionHeader) {
  ParsedRequest request;
  ASSERT_EQ(parse("GET / HTTP/1.0\r\n\r\n", request).state, State::complete);
  EXPECT_FALSE(request.keep_alive);
  ASSERT_EQ(parse("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", request).state, State::complete);
  EXPECT_TRUE(request.keep_alive);
  ASSERT_EQ(parse("GET / HTTP/1.1\r\nConnection: foo, close\r\n\r\n", request).state, State::complete);
  EXPECT_FALSE(request.keep_alive);
}

TEST(RequestParser, AnAbsoluteTargetKeepsItsPathAndStrayLineEndsAreSkipped) {
  ParsedRequest request;
  const ParseOutcome outcome = parse("\r\n\r\nGET http://hub:8080/services?tag=a HTTP/1.1\r\n\r\n", request);
  ASSERT_EQ(outcome.state, State::complete);
  EXPECT_EQ(request.target, "/services?tag=a");
  EXPECT_EQ(outcome.consumed, 4 + std::string("GET http://hub:8080/services?tag=a HTTP/1.1\r\n\r\n").size());
}

TEST(RequestParser, SaysWhenTheHeadIsCompleteAndOnlyTheBodyIsMissing) {
  ParsedRequest request;
  EXPECT_FALSE(parse("POST /a HTTP/1.1\r\nContent-Length: 2\r\n", request).head_complete);
  EXPECT_TRUE(parse("POST /a HTTP/1.1\r\nContent-Length: 2\r\n\r\n", request).head_complete);
  EXPECT_TRUE(parse(kChunkedHead + "2\r\nab", request).head_complete);
}

TEST(RequestParser, AnnouncesAnExpectedContinueOnlyWhileTheBodyIsMissing) {
  ParsedRequest request;
  const std::string head = "POST /a HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n";
  EXPECT_TRUE(parse(head, request).expects_continue);
  EXPECT_EQ(parse(head + "ok", request).state, State::complete);
}

std::string repeated(const std::string& text, int times) {
  std::string out;
  for (int i = 0; i < times; ++i) out += text;
  return out;
}
const std::string kChunked = "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n";

struct Refusal {
  std::string input;
  int status;
  std::string message_part;
};

void PrintTo(const Refusal& refusal, std::ostream* out) {
  *out << refusal.status << " " << refusal.message_part;
}

class RequestParserRefuses : public ::testing::TestWithParam<Refusal> {};

TEST_P(RequestParserRefuses, WithTheStatusAndAMessageThatNamesTheProblem) {
  ParsedRequest request;
  ParseLimits limits;
  limits.max_body_bytes = 10;
  limits.max_header_bytes = 200;
  const ParseOutcome outcome = parse_request(GetParam().input, limits, request);
  ASSERT_EQ(outcome.state, State::invalid);
  EXPECT_EQ(outcome.error_status, GetParam().status);
  EXPECT_NE(outcome.error_message.find(GetParam().message_part), std::string::npos) << outcome.error_message;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, RequestParserRefuses,
    ::testing::Values(Refusal{"GARBAGE\r\n\r\n", 400, "request line"}, Refusal{"GET / HTTP/2.0\r\n\r\n", 505, "HTTP/1.0 and HTTP/1.1"},
                      Refusal{"GET / HTTX/1.1\r\n\r\n", 400, "HTTP version"}, Refusal{"GET nopath HTTP/1.1\r\n\r\n", 400, "target"},
                      Refusal{"G(T / HTTP/1.1\r\n\r\n", 400, "method"},
                      Refusal{"GET / HTTP/1.1\r\nNo colon here\r\n\r\n", 400, "header line"},
                      Refusal{"GET / HTTP/1.1\r\nA: b\r\n folded\r\n\r\n", 400, "folded"},
                      Refusal{"POST / HTTP/1.1\r\nContent-Length: 1x\r\n\r\n", 400, "Content-Length"},
                      Refusal{"POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 400, "two different"},
                      Refusal{"POST / HTTP/1.1\r\nContent-Length: 11\r\n\r\n", 413, "limit of 10 bytes"},
                      Refusal{"POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", 501, "gzip"},
                      Refusal{"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n", 400, "both"},
                      Refusal{"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400, "chunk size"},
                      Refusal{"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabX\r\n", 400, "CRLF"},
                      Refusal{"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n8\r\n12345678\r\n8\r\n", 413, "limit"},
                      Refusal{"GET / HTTP/1.1\r\nX: " + std::string(300, 'a'), 431, "headers exceed"},
                      // The whole head in one read is held to the same limit as one that trickled in.
                      Refusal{"GET / HTTP/1.1\r\nX: " + std::string(300, 'a') + "\r\n\r\n", 431, "headers exceed"},
                      Refusal{repeated("\r\n", 150), 431, "headers exceed"},
                      // A chunk-size line, its extensions, the trailers and the encoding as a whole are capped.
                      Refusal{kChunked + "1;" + std::string(2000, 'e'), 400, "chunk-size line is longer than 1024"},
                      Refusal{kChunked + "0\r\n" + repeated("T: x\r\n", 100), 413, "limit of 10 bytes"},
                      Refusal{kChunked + repeated("1;" + std::string(100, 'e') + "\r\nX\r\n", 3), 413, "limit of 10 bytes"},
                      Refusal{kChunked + "ffffffffffffffec\r\n", 400, "chunk size"}));

// A browser's WebSocket cannot carry Authorization: the dashboard offers "hub" and its token as
// "hub.bearer.BASE64URL", which the parser takes as the header.
TEST(RequestParser, TakesABearerTokenOfferedAsAWebSocketProtocol) {
  const std::string head = "GET /events/stream HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n";
  ParsedRequest request;
  ASSERT_EQ(parse(head + "Sec-WebSocket-Protocol: hub, hub.bearer.aHViX3Rva2VuLTE\r\n\r\n", request).state, State::complete);
  EXPECT_TRUE(request.websocket_hub_protocol);
  EXPECT_EQ(request.authorization, "Bearer hub_token-1");
  ParsedRequest plain;
  ASSERT_EQ(parse(head + "Sec-WebSocket-Protocol: chat\r\n\r\n", plain).state, State::complete);
  EXPECT_FALSE(plain.websocket_hub_protocol);
  EXPECT_FALSE(plain.has_authorization);
  for (const std::string& refused : {head + "Sec-WebSocket-Protocol: hub.bearer.a\r\n\r\n",     // not base64url's length
                                     head + "Sec-WebSocket-Protocol: hub.bearer.ab+/\r\n\r\n",  // standard base64, not URL-safe
                                     head + "Authorization: Bearer x\r\nSec-WebSocket-Protocol: hub.bearer.eA\r\n\r\n",
                                     head + "Sec-WebSocket-Protocol: hub.bearer.eA\r\nAuthorization: Bearer x\r\n\r\n"}) {
    ParsedRequest bad;
    const ParseOutcome outcome = parse(refused, bad);
    EXPECT_EQ(outcome.state, State::invalid) << refused;
    EXPECT_EQ(outcome.error_status, 400);
  }
}

}  // namespace
}  // namespace hub::http
