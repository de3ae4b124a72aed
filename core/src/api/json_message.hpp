// A proto request message read from a JSON body that parse_json_body already
// checked, so the body is parsed once. Field names are the proto's or their
// JSON names; a repeated field takes an array of single values, a map an
// object, google.protobuf.Struct any object. What does not fit is refused with
// the field's name: "port: invalid value \"eighty\" for type uint32".
#pragma once

#include <hub/status.hpp>

#include <google/protobuf/message.h>
#include <nlohmann/json.hpp>

namespace hub::api {

Status read_json_message(const nlohmann::json& body, google::protobuf::Message& out);

}  // namespace hub::api
