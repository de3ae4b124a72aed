// A request body read into a proto message: binary protobuf when the client sent that, JSON
// otherwise, parsed once and depth-limited. What does not fit is a 400 naming the field.
#pragma once

#include "http/router.hpp"

#include <google/protobuf/message.h>

#include <optional>
#include <string>

namespace hub::api {

// 400 invalid_argument, saying that nothing was changed.
http::Response bad_request(const http::Request& request, const std::string& message);

// Bodies nest objects in metadata only; deeper than this is refused before it is built.
constexpr int kMaxBodyDepth = 32;

// Fills `message`, or returns the error answer.
std::optional<http::Response> parse(const http::Request& request, google::protobuf::Message& message);

}  // namespace hub::api
