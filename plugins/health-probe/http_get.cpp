#include "http_get.hpp"

#include "http_fetch.hpp"
#include "origin_form.hpp"
#include "probe_failure.hpp"

namespace hub::probes {

HttpAnswer http_get(const hub::ProbeTarget& target, const std::string& path, SteadyTime deadline, const HttpOptions& options) {
  if (target.host().empty()) throw ProbeFailure("the target has no host");
  if (target.port() == 0 || target.port() > 65535)
    throw ProbeFailure("the target " + std::string(target.host()) + " has no valid port (" + std::to_string(target.port()) + ")");
  if (!net::is_origin_form(path)) throw ProbeFailure("'" + path.substr(0, 80) + "' is not a path the probe may request");
  const bool https = target.attribute("protocol").value_or("http") == "https";
  net::FetchRequest request;
  request.url = net::origin(https ? "https" : "http", std::string(target.host()), target.port()) + path;
  request.headers = {"Accept: */*"};
  request.deadline = deadline;
  request.max_redirects = options.max_redirects;
  request.ca_file = options.ca_file;
  try {
    net::FetchAnswer answer = net::fetch(request);
    if (answer.truncated)
      throw ProbeFailure("GET " + path + ": " + std::to_string(answer.status) + ", but the body runs past " +
                         std::to_string(request.max_body_bytes) + " bytes");
    return {answer.status, std::move(answer.reason), std::move(answer.body)};
  } catch (const net::FetchError& error) {
    throw ProbeFailure(error.what());
  }
}

}  // namespace hub::probes
