// The server side of WebSocket (RFC 6455) that the HTTP front needs for push:
// the handshake's accept key, frames out, and frames in from a client.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace hub::http::websocket {

// Sec-WebSocket-Accept for a client's Sec-WebSocket-Key.
std::string accept_key(const std::string& client_key);

enum Opcode : uint8_t { continuation = 0x0, text = 0x1, binary = 0x2, close = 0x8, ping = 0x9, pong = 0xA };

// Appends one unmasked, final frame (servers never mask).
void append_frame(std::string& out, Opcode opcode, std::string_view payload);

struct Frame {
  enum class State { need_more, complete, invalid };
  State state = State::need_more;
  size_t consumed = 0;
  Opcode opcode = continuation;
  std::string payload;  // unmasked
  std::string problem;  // invalid: why
};
// The client frame at the start of `input`; clients must mask, and control
// frames are at most 125 bytes. Payloads over `max_payload` are invalid.
Frame parse_client_frame(std::string_view input, size_t max_payload);

// RFC 4648's URL-safe base64, unpadded (what a subprotocol may carry); nullopt for anything else.
std::optional<std::string> decode_base64url(std::string_view text);

}  // namespace hub::http::websocket
