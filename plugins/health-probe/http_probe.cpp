#include "http_probe.hpp"

#include "http_get.hpp"

#include <algorithm>
#include <regex>

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
}

bool HttpProbe::expected(int status) const {
  if (expected_status_.empty()) return status >= 200 && status < 300;
  return std::find(expected_status_.begin(), expected_status_.end(), status) != expected_status_.end();
}

hub::ProbeResult HttpProbe::check(const hub::ProbeTarget& target, hub::Deadline deadline) {
  const std::string path = target.endpoint().empty() ? default_path_ : std::string(target.endpoint());
  return timed_check(host_, deadline, [&](SteadyTime until) {
    const HttpAnswer answer = http_get(std::string(target.host()), target.port(), path, until);
    const std::string summary = "GET " + path + ": " + std::to_string(answer.status) + (answer.reason.empty() ? "" : " " + answer.reason);
    if (!expected(answer.status)) return hub::ProbeResult::down(summary);
    static const std::regex degraded(R"re("status"\s*:\s*"degraded")re");
    if (std::regex_search(answer.body, degraded)) return hub::ProbeResult::degraded(summary + ", and the body says degraded");
    return hub::ProbeResult::healthy(summary);
  });
}

}  // namespace hub::probes
