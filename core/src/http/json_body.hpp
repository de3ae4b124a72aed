// The one way the API reads a JSON request body: strictly. One value, valid
// UTF-8, every number within a double's range, no object with the same key
// twice (which would make "the last one wins" a way around validation), and
// nesting no deeper than `max_depth`, refused before it is built.
//
//   std::string problem;
//   std::optional<nlohmann::json> body = hub::http::parse_json_body(request.body, 32, problem);
//   if (!body) return error(400, "invalid JSON body: " + problem);   // "duplicate key \"port\" at byte 41"
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace hub::http {

std::optional<nlohmann::json> parse_json_body(std::string_view text, int max_depth, std::string& problem);

}  // namespace hub::http
