#include "snapshot.hpp"

#include "basics/time_text.hpp"
#include "storage/storage.hpp"

#include <openssl/evp.h>
#include <nlohmann/json.hpp>

#include <algorithm>

namespace hub::backups {

namespace {

using Json = nlohmann::json;
constexpr std::string_view kMagic = "central-hub-snapshot ";

std::string sha256_hex(std::string_view bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest, &length, EVP_sha256(), nullptr);
  static const char* const kHex = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < length; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 15];
  }
  return out;
}

Json instance_json(const InstanceRecord& r) {
  return {{"service", r.service_name},
          {"instance_id", r.instance_id},
          {"host", r.host},
          {"port", r.port},
          {"protocol", r.protocol},
          {"health_endpoint", r.health_endpoint},
          {"version", r.version},
          {"dependencies", r.dependencies},
          {"tags", r.tags},
          {"metadata", r.metadata_json},
          {"weight", r.weight},
          {"status", r.status},
          {"last_heartbeat_us", r.last_heartbeat_unix_us},
          {"registered_at_us", r.registered_at_unix_us},
          {"down_since_us", r.down_since_unix_us},
          {"source", r.source}};
}

InstanceRecord instance_from(const Json& j) {
  InstanceRecord r;
  r.service_name = j.at("service");
  r.instance_id = j.at("instance_id");
  r.host = j.at("host");
  r.port = j.at("port");
  r.protocol = j.at("protocol");
  r.health_endpoint = j.at("health_endpoint");
  r.version = j.at("version");
  r.dependencies = j.at("dependencies").get<std::vector<std::string>>();
  r.tags = j.at("tags").get<std::vector<std::string>>();
  r.metadata_json = j.at("metadata");
  r.weight = j.at("weight");
  r.status = j.at("status");
  r.last_heartbeat_unix_us = j.at("last_heartbeat_us");
  r.registered_at_unix_us = j.at("registered_at_us");
  r.down_since_unix_us = j.at("down_since_us");
  r.source = j.at("source");
  return r;
}

Json body_json(const StoredState& state) {
  Json instances = Json::array(), versions = Json::array(), changes = Json::array(), rollouts = Json::array(), circuits = Json::array();
  for (const InstanceRecord& r : state.instances) instances.push_back(instance_json(r));
  for (const ConfigVersion& v : state.config_versions)
    versions.push_back({{"scope", v.scope},
                        {"version", v.version},
                        {"content", v.content},
                        {"created_by", v.created_by},
                        {"created_at_us", v.created_at_unix_us},
                        {"active", v.active}});
  for (const ConfigChange& c : state.config_changes)
    changes.push_back({{"revision", c.revision},
                       {"scope", c.scope},
                       {"version", c.version},
                       {"action", c.action},
                       {"created_by", c.created_by},
                       {"at_us", c.at_unix_us}});
  for (const RolloutRecord& r : state.rollouts)
    rollouts.push_back({{"id", r.id},
                        {"service", r.service},
                        {"phase", r.phase},
                        {"document", r.document},
                        {"created_at_us", r.created_at_unix_us},
                        {"updated_at_us", r.updated_at_unix_us}});
  for (const CircuitRecord& c : state.circuits)
    circuits.push_back({{"service", c.service},
                        {"state", c.state},
                        {"opened_at_us", c.opened_at_unix_us},
                        {"changed_at_us", c.changed_at_unix_us},
                        {"set_by", c.set_by}});
  return {
      {"instances", instances}, {"config_versions", versions}, {"config_changes", changes}, {"rollouts", rollouts}, {"circuits", circuits}};
}

StoredState state_from(const Json& body) {
  StoredState state;
  for (const Json& j : body.at("instances")) state.instances.push_back(instance_from(j));
  for (const Json& j : body.at("config_versions"))
    state.config_versions.push_back(
        {j.at("scope"), j.at("version"), j.at("content"), j.at("created_by"), j.at("created_at_us"), j.at("active")});
  for (const Json& j : body.at("config_changes"))
    state.config_changes.push_back({j.at("revision"), j.at("scope"), j.at("version"), j.at("action"), j.at("created_by"), j.at("at_us")});
  for (const Json& j : body.at("rollouts"))
    state.rollouts.push_back({j.at("id"), j.at("service"), j.at("phase"), j.at("document"), j.at("created_at_us"), j.at("updated_at_us")});
  for (const Json& j : body.at("circuits"))
    state.circuits.push_back({j.at("service"), j.at("state"), j.at("opened_at_us"), j.at("changed_at_us"), j.at("set_by")});
  return state;
}

}  // namespace

std::string state_body(const StoredState& state) {
  return body_json(state).dump();
}

std::string write_snapshot(const StoredState& state, int64_t now_unix_us, const std::string& hub_version) {
  const std::string body = state_body(state);
  const Json header = {{"created_at", rfc3339_utc(now_unix_us)},
                       {"hub_version", hub_version},
                       {"bytes", body.size()},
                       {"sha256", sha256_hex(body)},
                       {"instances", state.instances.size()},
                       {"config_versions", state.config_versions.size()},
                       {"rollouts", state.rollouts.size()}};
  return std::string(kMagic) + std::to_string(kSnapshotFormat) + "\n" + header.dump() + "\n" + body;
}

StoredState read_snapshot(std::string_view bytes, SnapshotInfo* info) {
  const size_t first = bytes.find('\n');
  if (!bytes.starts_with(kMagic) || first == std::string_view::npos)
    throw SnapshotError("not a Central Hub snapshot: it does not begin with \"central-hub-snapshot\"");
  const std::string_view format = bytes.substr(kMagic.size(), first - kMagic.size());
  if (format != std::to_string(kSnapshotFormat))
    throw SnapshotError("snapshot format " + std::string(format.substr(0, 20)) + ": this hub reads format " +
                        std::to_string(kSnapshotFormat));
  const size_t second = bytes.find('\n', first + 1);
  if (second == std::string_view::npos) throw SnapshotError("the snapshot is cut short: its header line does not end");
  const Json header = Json::parse(bytes.substr(first + 1, second - first - 1), nullptr, false);
  if (!header.is_object() || !header.contains("sha256") || !header.contains("bytes") || !header["bytes"].is_number_unsigned() ||
      !header["sha256"].is_string())
    throw SnapshotError("the snapshot's header is not what a hub writes: it needs \"bytes\" and \"sha256\"");
  const std::string_view body = bytes.substr(second + 1);
  const size_t expected = header["bytes"].get<size_t>();
  if (body.size() != expected)
    throw SnapshotError("the snapshot's body is " + std::to_string(body.size()) + " bytes; its header says " + std::to_string(expected) +
                        ": it was cut short or added to");
  const std::string sum = sha256_hex(body);
  if (sum != header["sha256"].get<std::string>())
    throw SnapshotError("the snapshot's SHA-256 is " + sum + ", not the " + header["sha256"].get<std::string>() +
                        " its header says: it is corrupted, and nothing of it was used");
  StoredState state;
  try {
    state = state_from(Json::parse(body));
  } catch (const std::exception& error) {
    throw SnapshotError(std::string("the snapshot's body does not read: ") + error.what());
  }
  if (info) {
    *info = {kSnapshotFormat, header.value("created_at", ""), header.value("hub_version", ""), sum,
             body.size(),     state.instances.size(),         state.config_versions.size(),    state.rollouts.size()};
  }
  return state;
}

SnapshotInfo verify_snapshot(std::string_view bytes) {
  SnapshotInfo info;
  const StoredState state = read_snapshot(bytes, &info);
  const std::unique_ptr<Storage> scratch = open_memory_storage();
  scratch->import_state(state);
  if (state_body(scratch->export_state()) != state_body(state))
    throw SnapshotError("the snapshot restored into an in-memory hub does not read back the same");
  return info;
}

}  // namespace hub::backups
