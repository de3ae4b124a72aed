// What a plugin host sends the hub, as the hub reads it: frames split off a
// stream of arbitrary bytes and each decoded as the message its type names.
// A hostile or broken host gets a WireError, never a crash or a huge allocation.
#include "fuzz_check.hpp"
#include "isolation/messages.hpp"

#include <cstdint>
#include <string>

using namespace hub::isolation;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string stream(reinterpret_cast<const char*>(data), size);
  try {
    while (auto frame = take_frame(stream)) {
      try {
        switch (frame->type) {
          case Message::descriptor:
            (void)decode_descriptor(frame->body);
            break;
          case Message::created:
            (void)decode_created(frame->body);
            break;
          case Message::report:
            (void)decode_report(frame->body);
            break;
          case Message::started:
          case Message::stopped:
            (void)decode_reply(frame->body);
            break;
          case Message::assessed:
            (void)decode_assessed(frame->body);
            break;
          case Message::snapshot:
          case Message::upsert:
          case Message::remove:
            (void)decode_instances(frame->body);
            break;
          case Message::log:
            (void)decode_log(frame->body);
            break;
          case Message::metric:
            (void)decode_metric(frame->body);
            break;
          default:
            (void)decode_text(frame->body);
        }
      } catch (const WireError&) {
      }
    }
  } catch (const WireError&) {  // an impossible frame length
  }
  FUZZ_CHECK(stream.size() <= size);
  return 0;
}
