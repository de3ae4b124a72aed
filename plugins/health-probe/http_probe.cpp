#include "http_probe.hpp"

#include "origin_form.hpp"

#include <algorithm>

namespace hub::probes {

HttpProbe::HttpProbe(const hub::Context& context) : host_(context.host), default_path_(context.config.string("path", "/health")) {
  for (int index = 0; context.config.has("expected_status." + std::to_string(index)); ++index) {
    const int64_t status = context.config.integer("expected_status." + std::to_string(index), 0);
    if (status < 100 || status > 599)
      throw hub::Error(HUB_INVALID_ARGUMENT, "expected_status." + std::to_string(index) + ": " + std::to_string(status) +
                                                 " is not an HTTP status code (100-599)");
    expected_status_.push_back(static_cast<int>(status));
  }
  if (context.config.has("expected_status") && expected_status_.empty())
    throw hub::Error(HUB_INVALID_ARGUMENT, "expected_status must be a list of status codes, such as [200, 204]");
  if (default_path_.empty() || default_path_[0] != '/')
    throw hub::Error(HUB_INVALID_ARGUMENT, "path must start with '/', got '" + default_path_ + "'");
  if (!net::is_origin_form(default_path_))
    throw hub::Error(HUB_INVALID_ARGUMENT, "path '" + default_path_ + "' has characters a request target may not carry");
  const int64_t redirects = context.config.integer("max_redirects", 0);
  if (redirects < 0 || redirects > 10)
    throw hub::Error(HUB_INVALID_ARGUMENT, "max_redirects: expected 0 to 10, got " + std::to_string(redirects));
  options_.max_redirects = static_cast<long>(redirects);
  options_.ca_file = context.config.string("ca_file", "");
}

namespace {

// The body says "status": "degraded", as the seed's services report themselves.
bool says_degraded(const std::string& body) {
  for (size_t at = body.find("\"status\""); at != std::string::npos; at = body.find("\"status\"", at + 1)) {
    size_t next = body.find_first_not_of(" \t\r\n", at + 8);
    if (next == std::string::npos || body[next] != ':') continue;
    next = body.find_first_not_of(" \t\r\n", next + 1);
    if (next != std::string::npos && body.compare(next, 10, "\"degraded\"") == 0) return true;
  }
  return false;
}

}  // namespace

bool HttpProbe::expected(int status) const {
  if (expected_status_.empty()) return status >= 200 && status < 300;
  return std::find(expected_status_.begin(), expected_status_.end(), status) != expected_status_.end();
}

hub::ProbeResult HttpProbe::check(const hub::ProbeTarget& target, hub::Deadline deadline) {
  const std::string path = target.endpoint().empty() ? default_path_ : std::string(target.endpoint());
  return timed_check(host_, deadline, [&](SteadyTime until) {
    const HttpAnswer answer = http_get(target, path, until, options_);
    const std::string summary = "GET " + path + ": " + std::to_string(answer.status) + (answer.reason.empty() ? "" : " " + answer.reason);
    if (!expected(answer.status)) return hub::ProbeResult::down(summary);
    if (says_degraded(answer.body)) return hub::ProbeResult::degraded(summary + ", and the body says degraded");
    return hub::ProbeResult::healthy(summary);
  });
}

}  // namespace hub::probes
