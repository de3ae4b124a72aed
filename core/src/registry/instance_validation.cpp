#include "instance_validation.hpp"

#include "basics/printable_text.hpp"
#include "net/origin_form.hpp"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <string>

namespace hub {

namespace {

bool all_of(const std::string& text, const char* extra) {
  return std::all_of(text.begin(), text.end(), [extra](unsigned char c) {
    return std::isalnum(c) || (c && std::char_traits<char>::find(extra, std::strlen(extra), c));
  });
}

std::string too_long(const std::string& field, size_t limit) {
  return field + ": longer than " + std::to_string(limit) + " characters";
}

}  // namespace

std::string validate_instance(const InstanceRecord& record) {
  if (std::string problem = validate_service_name("service_name", record.service_name); !problem.empty()) return problem;
  if (record.host.empty()) return "host: required, a host name or IP address";
  if (record.host.size() > 255) return too_long("host", 255);
  if (!all_of(record.host, ".-_:[]%")) return "host: \"" + record.host + "\" is not a host name or IP address";
  if (record.port == 0) return "port: required, 1 to 65535";
  if (record.instance_id.size() > 255) return too_long("instance_id", 255);
  if (!all_of(record.instance_id, ".-_:[]%@/"))
    return "instance_id: \"" + record.instance_id + "\" has characters other than letters, digits and .-_:[]%@/";
  if (record.protocol.empty() || record.protocol.size() > 20 || !all_of(record.protocol, "+.-"))
    return "protocol: \"" + record.protocol + "\" is not a protocol name such as http, https, grpc or tcp";
  if (record.health_endpoint.size() > 255) return too_long("health_endpoint", 255);
  // The probe sends it as its request target: anything but a plain path and query could steer the request.
  if (!record.health_endpoint.empty() && !net::is_origin_form(record.health_endpoint))
    return "health_endpoint: \"" + printable_text(record.health_endpoint, 100) +
           "\" is not a request path: it must start with '/' and hold only URL characters (RFC 3986), no spaces or line ends";
  if (record.version.size() > 50) return too_long("version", 50);
  if (!is_printable_text(record.version)) return "version: \"" + printable_text(record.version, 60) + "\" has control characters";
  if (record.weight > 1'000'000) return "weight: " + std::to_string(record.weight) + " is above the limit of 1000000";
  if (record.dependencies.size() > kMaxDependencies) return "dependencies: more than " + std::to_string(kMaxDependencies);
  for (const std::string& dependency : record.dependencies)
    if (std::string problem = validate_service_name("dependencies", dependency); !problem.empty()) return problem;
  if (record.tags.size() > kMaxTags) return "tags: more than " + std::to_string(kMaxTags);
  for (const std::string& tag : record.tags) {
    if (tag.empty() || tag.size() > 100) return "tags: each tag is 1 to 100 characters";
    if (!is_printable_text(tag)) return "tags: \"" + printable_text(tag, 60) + "\" has control characters";
  }
  if (record.metadata_json.size() > kMaxMetadataBytes)
    return "metadata: " + std::to_string(record.metadata_json.size()) + " bytes, over the limit of " + std::to_string(kMaxMetadataBytes);
  return "";
}

}  // namespace hub
