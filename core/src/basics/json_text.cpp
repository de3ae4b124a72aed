#include "json_text.hpp"

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

#include <cstdio>
#include <stdexcept>

namespace hub {

std::string json_quote(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 2);
  out += '"';
  for (unsigned char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          char escaped[8];
          std::snprintf(escaped, sizeof escaped, "\\u%04x", c);
          out += escaped;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
  return out;
}

std::string json_string_array(const std::vector<std::string>& values) {
  std::string out = "[";
  for (const std::string& value : values) {
    if (out.size() > 1) out += ',';
    out += json_quote(value);
  }
  return out + "]";
}

std::vector<std::string> parse_json_string_array(const std::string& json) {
  google::protobuf::ListValue list;
  if (!google::protobuf::util::JsonStringToMessage(json, &list).ok()) throw std::invalid_argument("not a JSON array: " + json);
  std::vector<std::string> values;
  for (const auto& value : list.values()) {
    if (value.kind_case() != google::protobuf::Value::kStringValue) throw std::invalid_argument("not an array of strings: " + json);
    values.push_back(value.string_value());
  }
  return values;
}

}  // namespace hub
