#include "http_get.hpp"

#include "probe_failure.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace hub::probes {

namespace {

constexpr size_t kMaxAnswerBytes = 64 * 1024;

std::string lowercase(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
  return text;
}

// The value of a header in a block of "Name: value\r\n" lines, lowercased; empty when absent.
std::string header_value(const std::string& head, const std::string& name) {
  const std::string lowered = lowercase(head);
  const size_t at = lowered.find("\r\n" + name + ":");
  if (at == std::string::npos) return {};
  const size_t start = lowered.find_first_not_of(' ', at + name.size() + 3);
  const size_t end = lowered.find("\r\n", start);
  return lowered.substr(start, end - start);
}

HttpAnswer parse_status_line(const std::string& head, const std::string& peer) {
  // "HTTP/1.1 200 OK"
  if (head.compare(0, 7, "HTTP/1.") != 0 || head.size() < 12 || head[8] != ' ')
    throw ProbeFailure(peer + " did not answer in HTTP: '" + head.substr(0, std::min<size_t>(head.find("\r\n"), 40)) + "'");
  HttpAnswer answer;
  const auto [end, error] = std::from_chars(head.data() + 9, head.data() + 12, answer.status);
  if (error != std::errc() || end != head.data() + 12) throw ProbeFailure(peer + " sent an HTTP status line without a status code");
  const size_t line_end = head.find("\r\n");
  answer.reason = head.size() > 13 ? head.substr(13, line_end - 13) : "";
  return answer;
}

std::string decode_chunked(const std::string& raw, const std::string& peer) {
  std::string body;
  size_t at = 0;
  for (;;) {
    const size_t line_end = raw.find("\r\n", at);
    if (line_end == std::string::npos) throw ProbeFailure(peer + " ended a chunked body early");
    size_t size = 0;
    const auto [end, error] = std::from_chars(raw.data() + at, raw.data() + line_end, size, 16);
    if (error != std::errc() || end == raw.data() + at) throw ProbeFailure(peer + " sent a malformed chunk size");
    if (size == 0) return body;
    if (line_end + 2 + size > raw.size()) throw ProbeFailure(peer + " ended a chunked body early");
    body.append(raw, line_end + 2, size);
    at = line_end + 2 + size + 2;
  }
}

}  // namespace

HttpAnswer http_get(const std::string& host, uint32_t port, const std::string& path, SteadyTime deadline) {
  DeadlineSocket socket(host, port, deadline);
  socket.send_all("GET " + (path.empty() ? std::string("/") : path) + " HTTP/1.1\r\nHost: " + host + ":" + std::to_string(port) +
                  "\r\nUser-Agent: central-hub-probe\r\nAccept: */*\r\nConnection: close\r\n\r\n");
  std::string buffer;
  const size_t head_end = socket.read_until(buffer, "\r\n\r\n", kMaxAnswerBytes);
  const std::string head = buffer.substr(0, head_end + 2);
  HttpAnswer answer = parse_status_line(head, socket.peer());
  std::string rest = buffer.substr(head_end + 4);

  const std::string length_text = header_value(head, "content-length");
  if (!length_text.empty()) {
    size_t length = 0;
    const auto [end, error] = std::from_chars(length_text.data(), length_text.data() + length_text.size(), length);
    if (error != std::errc() || end != length_text.data() + length_text.size())
      throw ProbeFailure(socket.peer() + " sent a malformed Content-Length '" + length_text + "'");
    length = std::min(length, kMaxAnswerBytes);
    while (rest.size() < length)
      if (!socket.read_some(rest, length)) throw ProbeFailure(socket.peer() + " closed the connection in the middle of the body");
    answer.body = rest.substr(0, length);
    return answer;
  }
  if (header_value(head, "transfer-encoding").find("chunked") != std::string::npos) {
    while (rest.find("0\r\n\r\n") == std::string::npos && rest.size() < kMaxAnswerBytes)
      if (!socket.read_some(rest, kMaxAnswerBytes)) break;
    answer.body = decode_chunked(rest, socket.peer());
    return answer;
  }
  while (rest.size() < kMaxAnswerBytes && socket.read_some(rest, kMaxAnswerBytes)) {
  }
  answer.body = std::move(rest);
  return answer;
}

}  // namespace hub::probes
