// The HTTP front's request parser on arbitrary bytes, split at every place a
// read may end: requests are parsed one after another as a kept-alive
// connection would, and what the parser says must hold (what it consumed is
// there, bodies and heads stay within their limits).
#include "fuzz_check.hpp"
#include "http/request_parser.hpp"

#include <cstdint>
#include <string_view>

using hub::http::ParsedRequest;
using hub::http::ParseLimits;
using hub::http::ParseOutcome;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  ParseLimits limits;
  limits.max_header_bytes = 4096;
  limits.max_body_bytes = 8192;
  // The first byte chooses where the bytes are cut, as reads would cut them.
  const size_t step = size ? 1 + static_cast<unsigned char>(input[0]) % 64 : 1;
  std::string buffer;
  for (size_t at = 0; at < size;) {
    buffer.append(input.substr(at, step));
    at += step;
    for (;;) {
      ParsedRequest request;
      const ParseOutcome outcome = hub::http::parse_request(buffer, limits, request);
      if (outcome.state == ParseOutcome::State::need_more) {
        FUZZ_CHECK(buffer.size() <= limits.max_header_bytes + limits.max_encoded_body_bytes() + step);
        break;
      }
      if (outcome.state == ParseOutcome::State::invalid) {
        FUZZ_CHECK(outcome.error_status >= 400 && outcome.error_status < 600 && !outcome.error_message.empty());
        return 0;  // the connection closes
      }
      FUZZ_CHECK(outcome.consumed > 0 && outcome.consumed <= buffer.size());
      FUZZ_CHECK(request.body.size() <= limits.max_body_bytes);
      FUZZ_CHECK(!request.method.empty() && !request.target.empty());
      buffer.erase(0, outcome.consumed);
    }
  }
  return 0;
}
