// One error group: what the hub keeps of the events that share a fingerprint, and the document
// storage keeps of it.
#pragma once

#include "error_rate.hpp"

#include <hub/error_dna.hpp>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>

namespace hub::error_groups {

struct Spike {
  bool active = false;
  double rate = 0, baseline = 0, threshold = 0;
};

struct Group {
  ErrorPattern pattern;  // the first event's: fingerprint, type, parameterized message, frames
  std::string category, severity;
  int64_t first_seen_us = 0, last_seen_us = 0;
  uint64_t count = 0;
  std::map<std::string, uint64_t> services;                            // events per service
  std::string last_service;                                            // the service of the newest event
  std::map<std::pair<std::string, std::string>, uint64_t> by_version;  // (service, version) -> events, at most kMaxValues
  std::set<std::string> versions, hosts;                               // at most kMaxValues each
  std::deque<nlohmann::json> samples;                                  // the newest events, whole
  ErrorRate rate;
  Spike spike;
};

// What storage keeps of a group: all of it, its rate's minutes and whether it spikes.
nlohmann::json group_document(const Group& group);
// A group read back, its rate made by `empty_rate`; nullopt when the document is not one.
std::optional<Group> group_from_document(const nlohmann::json& document, ErrorRate empty_rate);

}  // namespace hub::error_groups
