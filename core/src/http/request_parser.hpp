// Incremental HTTP/1.1 request parsing for the event-driven front: the caller
// keeps the bytes read so far and asks, after every read, whether they hold a
// whole request yet.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace hub::http {

struct ParsedRequest {
  std::string method;
  std::string target;  // origin-form: path and query
  std::string content_type;
  std::string accept;
  std::string authorization;
  bool has_authorization = false;
  std::string body;
  bool keep_alive = true;  // HTTP/1.1 default; HTTP/1.0 only with "Connection: keep-alive"
  // A WebSocket opening handshake: "Upgrade: websocket" with "Connection: Upgrade".
  bool upgrade_websocket = false;
  std::string websocket_key;      // Sec-WebSocket-Key
  std::string websocket_version;  // Sec-WebSocket-Version
  // Sec-WebSocket-Protocol offered "hub": the answer must name it. A browser cannot set Authorization on a
  // WebSocket, so it offers its token as a protocol "hub.bearer.BASE64URL", taken as the Authorization header.
  bool websocket_hub_protocol = false;
};

struct ParseLimits {
  size_t max_header_bytes = 64 * 1024;  // the request line and headers, stray line ends before them included
  size_t max_body_bytes = 1 << 20;      // the decoded body
  // A chunked body is also held to its encoded size: chunk-size lines, extensions and trailers
  // count, so a peer cannot make the hub buffer more than this for one request's body.
  size_t max_encoded_body_bytes() const { return max_body_bytes + max_header_bytes; }
  static constexpr size_t kMaxChunkLineBytes = 1024;  // a chunk-size line with its extensions
};

struct ParseOutcome {
  enum class State { need_more, complete, invalid };
  State state = State::need_more;
  size_t consumed = 0;            // bytes of the input the complete request used
  bool head_complete = false;     // need_more: the request line and headers are in, the body is not
  bool expects_continue = false;  // need_more after the headers of an "Expect: 100-continue" request
  int error_status = 0;           // invalid: 400, 413, 431, 501 or 505
  std::string error_message;      // invalid: what was wrong
};

// Parses the request at the start of `input`. `request` is filled when complete.
ParseOutcome parse_request(std::string_view input, const ParseLimits& limits, ParsedRequest& request);

}  // namespace hub::http
