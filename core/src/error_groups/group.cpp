#include "group.hpp"

namespace hub::error_groups {

using nlohmann::json;

namespace {

json frames_json(const std::vector<Frame>& frames) {
  json out = json::array();
  for (const Frame& frame : frames) out.push_back(frame.to_json());
  return out;
}

bool read_frames(const json& list, std::vector<Frame>& frames) {
  if (!list.is_array()) return false;
  for (const json& each : list) {
    auto frame = Frame::from_json(each);
    if (!frame) return false;
    frames.push_back(std::move(*frame));
  }
  return true;
}

bool read_pattern(const json& pattern, ErrorPattern& read) {
  if (!pattern.is_object()) return false;
  for (auto [key, field] : {std::pair{"fingerprint", &read.fingerprint}, std::pair{"type", &read.type}, std::pair{"message", &read.message},
                            std::pair{"parameterized_message", &read.parameterized_message}}) {
    const auto found = pattern.find(key);
    if (found == pattern.end() || !found->is_string()) return false;
    *field = found->get<std::string>();
  }
  return !read.fingerprint.empty() && read_frames(pattern.value("frames", json::array()), read.frames);
}

bool read_by_version(const json& list, Group& group) {
  if (!list.is_array()) return false;
  for (const json& each : list) {
    if (!each.is_array() || each.size() != 3 || !each[0].is_string() || !each[1].is_string() || !each[2].is_number_unsigned()) return false;
    group.by_version[{each[0].get<std::string>(), each[1].get<std::string>()}] = each[2].get<uint64_t>();
  }
  return true;
}

}  // namespace

json group_document(const Group& group) {
  json by_version = json::array();
  for (const auto& [key, count] : group.by_version) by_version.push_back({key.first, key.second, count});
  return {{"pattern",
           {{"fingerprint", group.pattern.fingerprint},
            {"type", group.pattern.type},
            {"message", group.pattern.message},
            {"parameterized_message", group.pattern.parameterized_message},
            {"frames", frames_json(group.pattern.frames)}}},
          {"category", group.category},
          {"severity", group.severity},
          {"first_seen_us", group.first_seen_us},
          {"last_seen_us", group.last_seen_us},
          {"count", group.count},
          {"services", group.services},
          {"last_service", group.last_service},
          {"by_version", std::move(by_version)},
          {"versions", group.versions},
          {"hosts", group.hosts},
          {"samples", group.samples},
          {"rate", group.rate.state()},
          {"spiking", group.spike.active}};
}

// Every field is checked: a document another version wrote, or a row edited by hand, is skipped
// whole rather than half-read.
std::optional<Group> group_from_document(const json& document, ErrorRate empty_rate) {
  if (!document.is_object()) return std::nullopt;
  Group group{.rate = std::move(empty_rate)};
  try {
    if (!read_pattern(document.at("pattern"), group.pattern)) return std::nullopt;
    group.category = document.at("category").get<std::string>();
    group.severity = document.at("severity").get<std::string>();
    group.first_seen_us = document.at("first_seen_us").get<int64_t>();
    group.last_seen_us = document.at("last_seen_us").get<int64_t>();
    group.count = document.at("count").get<uint64_t>();
    group.services = document.at("services").get<std::map<std::string, uint64_t>>();
    group.last_service = document.at("last_service").get<std::string>();
    if (!read_by_version(document.at("by_version"), group)) return std::nullopt;
    group.versions = document.at("versions").get<std::set<std::string>>();
    group.hosts = document.at("hosts").get<std::set<std::string>>();
    for (const json& sample : document.at("samples")) group.samples.push_back(sample);
    if (!group.rate.restore(document.at("rate"))) return std::nullopt;
    group.spike.active = document.at("spiking").get<bool>();
  } catch (const json::exception&) {
    return std::nullopt;
  }
  return group;
}

}  // namespace hub::error_groups
