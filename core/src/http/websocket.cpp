#include "websocket.hpp"

#include <Poco/Base64Encoder.h>
#include <Poco/SHA1Engine.h>

#include <sstream>

namespace hub::http::websocket {

std::string accept_key(const std::string& client_key) {
  Poco::SHA1Engine sha1;
  sha1.update(client_key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11");
  const Poco::DigestEngine::Digest& digest = sha1.digest();
  std::ostringstream out;
  Poco::Base64Encoder base64(out);
  base64.write(reinterpret_cast<const char*>(digest.data()), static_cast<std::streamsize>(digest.size()));
  base64.close();
  return out.str();
}

void append_frame(std::string& out, Opcode opcode, std::string_view payload) {
  out += static_cast<char>(0x80 | opcode);
  const uint64_t length = payload.size();
  if (length < 126) {
    out += static_cast<char>(length);
  } else if (length <= 0xFFFF) {
    out += static_cast<char>(126);
    for (int shift = 8; shift >= 0; shift -= 8) out += static_cast<char>((length >> shift) & 0xFF);
  } else {
    out += static_cast<char>(127);
    for (int shift = 56; shift >= 0; shift -= 8) out += static_cast<char>((length >> shift) & 0xFF);
  }
  out.append(payload);
}

Frame parse_client_frame(std::string_view input, size_t max_payload) {
  Frame frame;
  if (input.size() < 2) return frame;
  const auto byte = [&](size_t i) { return static_cast<uint8_t>(input[i]); };
  const bool final = byte(0) & 0x80;
  frame.opcode = static_cast<Opcode>(byte(0) & 0x0F);
  const bool masked = byte(1) & 0x80;
  uint64_t length = byte(1) & 0x7F;
  size_t at = 2;
  const auto invalid = [&](std::string why) {
    frame.state = Frame::State::invalid;
    frame.problem = std::move(why);
    return frame;
  };
  if (byte(0) & 0x70) return invalid("reserved bits are set");
  if (!masked) return invalid("client frames must be masked");
  if (length >= 126) {
    const size_t bytes = length == 126 ? 2 : 8;
    if (input.size() < at + bytes) return frame;
    length = 0;
    for (size_t i = 0; i < bytes; ++i) length = (length << 8) | byte(at + i);
    at += bytes;
  }
  if (frame.opcode >= close && (length > 125 || !final)) return invalid("a control frame is over 125 bytes or fragmented");
  if (length > max_payload) return invalid("a frame of " + std::to_string(length) + " bytes is over the limit");
  if (input.size() < at + 4 + length) return frame;
  const std::string_view mask = input.substr(at, 4);
  at += 4;
  frame.payload.resize(length);
  for (size_t i = 0; i < length; ++i) frame.payload[i] = static_cast<char>(input[at + i] ^ mask[i % 4]);
  frame.consumed = at + length;
  frame.state = Frame::State::complete;
  return frame;
}

std::optional<std::string> decode_base64url(std::string_view text) {
  if (text.size() % 4 == 1) return std::nullopt;
  std::string out;
  uint32_t bits = 0;
  int count = 0;
  for (const char c : text) {
    int value = -1;
    if (c >= 'A' && c <= 'Z') value = c - 'A';
    if (c >= 'a' && c <= 'z') value = c - 'a' + 26;
    if (c >= '0' && c <= '9') value = c - '0' + 52;
    if (c == '-') value = 62;
    if (c == '_') value = 63;
    if (value < 0) return std::nullopt;
    bits = (bits << 6) | static_cast<uint32_t>(value);
    if ((count += 6) >= 8) out.push_back(static_cast<char>((bits >> (count -= 8)) & 0xFF));
  }
  return out;
}

}  // namespace hub::http::websocket
