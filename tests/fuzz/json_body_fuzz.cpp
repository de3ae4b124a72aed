// The API's one JSON reader, and printable_text, on arbitrary bytes: a body
// is refused with a reason or read within its depth, and text made printable
// is valid UTF-8 within its bound.
#include "basics/printable_text.hpp"
#include "fuzz_check.hpp"
#include "http/json_body.hpp"

#include <cstdint>
#include <string>

namespace {

int depth(const nlohmann::json& value) {
  int deepest = 0;
  if (value.is_structured())
    for (const auto& child : value) deepest = std::max(deepest, depth(child));
  return value.is_structured() ? deepest + 1 : 0;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  std::string problem;
  const auto parsed = hub::http::parse_json_body(input, 8, problem);
  if (parsed) {
    FUZZ_CHECK(depth(*parsed) <= 8);
    (void)parsed->dump();  // what was read can be written back
  } else {
    FUZZ_CHECK(!problem.empty());
  }
  const std::string printable = hub::printable_text(input, 256);
  FUZZ_CHECK(printable.size() <= 256);
  FUZZ_CHECK(hub::is_printable_text(printable));
  return 0;
}
