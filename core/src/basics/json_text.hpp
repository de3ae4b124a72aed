// JSON text for the few places that write it by hand (plugin configs, log
// lines, event payloads); API records go through protobuf instead.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace hub {

// `text` as a JSON string literal, quotes included.
std::string json_quote(std::string_view text);
// ["a","b"]
std::string json_string_array(const std::vector<std::string>& values);
// The strings of a JSON array of strings; throws std::invalid_argument otherwise.
std::vector<std::string> parse_json_string_array(const std::string& json);

}  // namespace hub
