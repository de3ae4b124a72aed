// JSON text for the few places that write it by hand (plugin configs, log
// lines, event payloads); API records go through protobuf instead.
#pragma once

#include <string>
#include <string_view>

namespace hub {

// `text` as a JSON string literal, quotes included.
std::string json_quote(std::string_view text);

}  // namespace hub
