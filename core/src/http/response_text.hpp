// The bytes of an HTTP/1.1 answer.
#pragma once

#include "router.hpp"

#include <string>

namespace hub::http {

// Appends status line, headers and (unless `head_only`) the body of `response`.
void append_response(std::string& out, const Response& response, bool keep_alive, bool head_only);

// The standard reason phrase of `status`, or "Unknown".
const char* reason_phrase(int status);

}  // namespace hub::http
