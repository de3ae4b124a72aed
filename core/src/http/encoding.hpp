// Answers are proto messages: JSON by default (snake_case field names, every
// field printed), binary protobuf when the client asks for it.
#pragma once

#include "router.hpp"

#include <hub/status.hpp>

#include <google/protobuf/message.h>

namespace hub::http {

inline constexpr const char* kProtobufType = "application/x-protobuf";

Response encode(const Request& request, const google::protobuf::Message& message, int status = 200);
// {"code": 404, "error": "not_found", "message": "..."}
Response error(const Request& request, int status, const std::string& code, const std::string& message);
// The domain's refusal as an answer: the code picks the HTTP status, the reason names the error.
Response error(const Request& request, const Status& status);
int http_status(const Status& status);

}  // namespace hub::http
