// A WebSocket client's frames (RFC 6455) as the hub's push streams read them.
#include "fuzz_check.hpp"
#include "http/websocket.hpp"

#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string input(reinterpret_cast<const char*>(data), size);
  constexpr size_t kMaxPayload = 4096;
  for (int frames = 0; !input.empty() && frames < 1000; ++frames) {
    const hub::http::websocket::Frame frame = hub::http::websocket::parse_client_frame(input, kMaxPayload);
    if (frame.state != hub::http::websocket::Frame::State::complete) break;
    FUZZ_CHECK(frame.consumed > 0 && frame.consumed <= input.size());
    FUZZ_CHECK(frame.payload.size() <= kMaxPayload);
    input.erase(0, frame.consumed);
  }
  return 0;
}
