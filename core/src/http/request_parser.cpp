#include "request_parser.hpp"

#include "websocket.hpp"

#include <algorithm>
#include <cctype>
#include <optional>

namespace hub::http {

namespace {

constexpr std::string_view kCrlf = "\r\n";

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

bool is_token(std::string_view text) {
  static constexpr std::string_view kSeparators = "()<>@,;:\\\"/[]?={} \t";
  return !text.empty() &&
         std::all_of(text.begin(), text.end(), [](char c) { return c > 32 && c < 127 && kSeparators.find(c) == std::string_view::npos; });
}

// Calls `each(token)` for the comma-separated tokens of a header value.
template <typename Each>
void for_each_token(std::string_view value, Each each) {
  while (!value.empty()) {
    const size_t comma = std::min(value.find(','), value.size());
    each(trim(value.substr(0, comma)));
    value.remove_prefix(std::min(comma + 1, value.size()));
  }
}

ParseOutcome invalid(int status, std::string message) {
  ParseOutcome outcome;
  outcome.state = ParseOutcome::State::invalid;
  outcome.error_status = status;
  outcome.error_message = std::move(message);
  return outcome;
}

std::optional<size_t> parse_size(std::string_view digits, int base) {
  if (digits.empty() || digits.size() > 15) return std::nullopt;
  size_t value = 0;
  for (char c : digits) {
    int digit = -1;
    if (c >= '0' && c <= '9')
      digit = c - '0';
    else if (base == 16 && c >= 'a' && c <= 'f')
      digit = c - 'a' + 10;
    else if (base == 16 && c >= 'A' && c <= 'F')
      digit = c - 'A' + 10;
    if (digit < 0) return std::nullopt;
    value = value * static_cast<size_t>(base) + static_cast<size_t>(digit);
  }
  return value;
}

// What the headers say about the body and the connection.
struct Framing {
  std::optional<size_t> content_length;
  bool chunked = false;
  bool expects_continue = false;
  std::optional<bool> connection_keep_alive;
  bool connection_upgrade = false;
  bool upgrade_websocket = false;
};

std::optional<ParseOutcome> read_header(std::string_view line, Framing& framing, ParsedRequest& request) {
  if (line.front() == ' ' || line.front() == '\t') return invalid(400, "folded header lines are not accepted");
  const size_t colon = line.find(':');
  if (colon == std::string_view::npos || !is_token(line.substr(0, colon)))
    return invalid(400, "malformed header line: " + std::string(line.substr(0, 80)));
  const std::string_view name = line.substr(0, colon), value = trim(line.substr(colon + 1));
  if (equals_ignoring_case(name, "content-length")) {
    const auto length = parse_size(value, 10);
    if (!length) return invalid(400, "Content-Length is not a number: " + std::string(value.substr(0, 40)));
    if (framing.content_length && *framing.content_length != *length) return invalid(400, "two different Content-Length headers");
    framing.content_length = length;
  } else if (equals_ignoring_case(name, "transfer-encoding")) {
    std::string_view last;
    for_each_token(value, [&](std::string_view token) { last = token; });
    if (!equals_ignoring_case(last, "chunked")) return invalid(501, "transfer coding not supported: " + std::string(value.substr(0, 40)));
    framing.chunked = true;
  } else if (equals_ignoring_case(name, "connection")) {
    for_each_token(value, [&](std::string_view token) {
      if (equals_ignoring_case(token, "close")) framing.connection_keep_alive = false;
      if (equals_ignoring_case(token, "keep-alive") && !framing.connection_keep_alive) framing.connection_keep_alive = true;
      if (equals_ignoring_case(token, "upgrade")) framing.connection_upgrade = true;
    });
  } else if (equals_ignoring_case(name, "upgrade")) {
    for_each_token(value, [&](std::string_view token) { framing.upgrade_websocket |= equals_ignoring_case(token, "websocket"); });
  } else if (equals_ignoring_case(name, "sec-websocket-key")) {
    request.websocket_key = value;
  } else if (equals_ignoring_case(name, "sec-websocket-version")) {
    request.websocket_version = value;
  } else if (equals_ignoring_case(name, "sec-websocket-protocol")) {
    std::optional<ParseOutcome> refused;
    for_each_token(value, [&](std::string_view protocol) {
      if (protocol == "hub") request.websocket_hub_protocol = true;
      if (!protocol.starts_with("hub.bearer.") || refused) return;
      const auto token = websocket::decode_base64url(protocol.substr(11));
      if (!token || request.has_authorization)
        refused = invalid(400, token ? "more than one Authorization header" : "Sec-WebSocket-Protocol: hub.bearer. needs base64url");
      else
        request.authorization = "Bearer " + *token, request.has_authorization = true;
    });
    if (refused) return refused;
  } else if (equals_ignoring_case(name, "expect")) {
    framing.expects_continue = equals_ignoring_case(value, "100-continue");
  } else if (equals_ignoring_case(name, "content-type")) {
    request.content_type = value;
  } else if (equals_ignoring_case(name, "accept")) {
    request.accept = value;
  } else if (equals_ignoring_case(name, "authorization")) {
    // (A token offered as a WebSocket protocol counts as one too.)
    // Two credentials would leave which one counts to whoever reads them: refused.
    if (request.has_authorization) return invalid(400, "more than one Authorization header");
    request.authorization = value;
    request.has_authorization = true;
  }
  return std::nullopt;
}

// "GET /path HTTP/1.1"; returns the HTTP minor version.
std::optional<ParseOutcome> read_request_line(std::string_view line, ParsedRequest& request, int& minor_version) {
  const size_t first = line.find(' '), second = line.rfind(' ');
  if (first == std::string_view::npos || second == first) return invalid(400, "malformed request line");
  const std::string_view method = line.substr(0, first), version = line.substr(second + 1);
  std::string_view target = line.substr(first + 1, second - first - 1);
  if (!is_token(method)) return invalid(400, "malformed request method");
  if (version.size() != 8 || version.substr(0, 5) != "HTTP/" || version[6] != '.' ||
      !std::isdigit(static_cast<unsigned char>(version[5])) || !std::isdigit(static_cast<unsigned char>(version[7])))
    return invalid(400, "malformed HTTP version");
  if (version[5] != '1') return invalid(505, "only HTTP/1.0 and HTTP/1.1 are served");
  minor_version = version[7] - '0';
  for (std::string_view scheme : {"http://", "https://"})
    if (target.substr(0, scheme.size()) == scheme) {  // absolute-form: keep the path
      target.remove_prefix(scheme.size());
      target.remove_prefix(std::min(target.find('/'), target.size()));
      if (target.empty()) target = "/";
    }
  if (target.empty() || (target.front() != '/' && target != "*") || target.find_first_of(" \t") != std::string_view::npos)
    return invalid(400, "malformed request target");
  request.method = method;
  request.target = target;
  return std::nullopt;
}

ParseOutcome too_large(const ParseLimits& limits) {
  return invalid(413, "the request body exceeds the limit of " + std::to_string(limits.max_body_bytes) + " bytes");
}

// Decodes a chunked body starting at input[at]; need_more until the last chunk and trailers are in.
// Every line it waits for is capped, and so is the whole encoding, before the line ends arrive.
ParseOutcome read_chunked(std::string_view input, size_t at, const ParseLimits& limits, std::string& body) {
  body.clear();
  const size_t body_start = at;
  const size_t encoded_limit = body_start + limits.max_encoded_body_bytes();
  const auto need_more = [&]() -> ParseOutcome { return input.size() > encoded_limit ? too_large(limits) : ParseOutcome{}; };
  for (;;) {
    const size_t line_end = input.find(kCrlf, at);
    const size_t line_length = (line_end == std::string_view::npos ? input.size() : line_end) - at;
    if (line_length > ParseLimits::kMaxChunkLineBytes)
      return invalid(400, "a chunk-size line is longer than " + std::to_string(ParseLimits::kMaxChunkLineBytes) + " bytes");
    if (line_end == std::string_view::npos) return need_more();
    std::string_view size_text = input.substr(at, line_length);
    size_text = trim(size_text.substr(0, std::min(size_text.find(';'), size_text.size())));
    const auto size = parse_size(size_text, 16);
    if (!size) return invalid(400, "malformed chunk size");
    at = line_end + 2;
    if (*size == 0) break;
    if (body.size() + *size > limits.max_body_bytes) return too_large(limits);
    if (input.size() < at + *size + 2) return need_more();
    if (input.substr(at + *size, 2) != kCrlf) return invalid(400, "a chunk is not followed by CRLF");
    body.append(input.substr(at, *size));
    at += *size + 2;
  }
  for (;;) {  // trailers, ignored, up to the empty line
    const size_t line_end = input.find(kCrlf, at);
    if (line_end == std::string_view::npos) return need_more();
    if (line_end + 2 > encoded_limit) return too_large(limits);
    const bool last = line_end == at;
    at = line_end + 2;
    if (last) break;
  }
  ParseOutcome outcome;
  outcome.state = ParseOutcome::State::complete;
  outcome.consumed = at;
  return outcome;
}

}  // namespace

ParseOutcome parse_request(std::string_view input, const ParseLimits& limits, ParsedRequest& request) {
  size_t start = 0;
  while (input.substr(start, 2) == kCrlf) start += 2;  // stray line ends between requests; they count as head bytes
  const size_t header_end = input.find("\r\n\r\n", start);
  // The limit holds however the bytes arrived: a whole head in one read is measured like one that trickled in.
  const size_t head_bytes = header_end == std::string_view::npos ? input.size() : header_end + 4;
  if (head_bytes > limits.max_header_bytes)
    return invalid(431, "the request headers exceed the limit of " + std::to_string(limits.max_header_bytes) + " bytes");
  if (header_end == std::string_view::npos) return {};
  request = ParsedRequest{};
  Framing framing;
  int minor_version = 1;
  size_t line_start = start;
  for (bool first = true; line_start < header_end + 2; first = false) {
    const size_t line_end = input.find(kCrlf, line_start);
    const std::string_view line = input.substr(line_start, line_end - line_start);
    line_start = line_end + 2;
    auto failure = first ? read_request_line(line, request, minor_version) : read_header(line, framing, request);
    if (failure) return *failure;
  }
  request.keep_alive = framing.connection_keep_alive.value_or(minor_version >= 1);
  request.upgrade_websocket = framing.upgrade_websocket && framing.connection_upgrade;
  const size_t body_start = header_end + 4;
  if (framing.chunked) {
    if (framing.content_length) return invalid(400, "both Content-Length and Transfer-Encoding are set");
    ParseOutcome outcome = read_chunked(input, body_start, limits, request.body);
    outcome.head_complete = true;
    outcome.expects_continue = framing.expects_continue && outcome.state == ParseOutcome::State::need_more;
    return outcome;
  }
  const size_t length = framing.content_length.value_or(0);
  if (length > limits.max_body_bytes) return too_large(limits);
  ParseOutcome outcome;
  outcome.head_complete = true;
  if (input.size() < body_start + length) {
    outcome.expects_continue = framing.expects_continue;
    return outcome;
  }
  request.body = input.substr(body_start, length);
  outcome.state = ParseOutcome::State::complete;
  outcome.consumed = body_start + length;
  return outcome;
}

}  // namespace hub::http
