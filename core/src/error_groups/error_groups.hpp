// The error events services report (POST /errors), grouped by ErrorDNA's fingerprint: each group's
// first and last sighting, count, services, versions, hosts and newest samples, its rate and
// baseline, and whether it spikes; the same rates per service. A group's birth and each spike's
// start and end are events on the bus (errors.new, errors.spike, errors.spike_ended), which the
// health monitor raises as alerts.
#pragma once

#include "group.hpp"

#include "storage/error_group_store.hpp"

#include <hub/clock.hpp>
#include <hub/error_dna.hpp>
#include <hub/error_settings.hpp>
#include <hub/event_bus.hpp>
#include <hub/metrics.hpp>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace hub::error_groups {

// One event as a service reported it, checked by the API.
struct ErrorEvent {
  std::string service;
  std::string version;
  std::string host;
  std::string instance_id;
  std::string type;
  std::string message;
  std::string correlation_id;
  std::vector<Frame> frames;
  int64_t reported_at_unix_us = 0;  // the service's clock; rates use the hub's
};

class ErrorGroups {
 public:
  static constexpr size_t kMaxValues = 50;  // versions and hosts kept per group

  ErrorGroups(const ErrorSettings& settings, std::shared_ptr<Clock> clock, EventBus& events, Metrics& metrics);

  struct Ingested {
    std::vector<std::string> fingerprints;  // one per event, in order
    size_t new_groups = 0;
  };
  // Fingerprints each event (the hub's own ErrorDNA: a client's fingerprint is not trusted), adds
  // it to its group, and judges the spikes of the groups and services it touched.
  Ingested ingest(const std::vector<ErrorEvent>& events);

  // Judges every spike again (a spike ends when events stop coming) and forgets groups past their
  // retention. The hub calls it every few seconds.
  void sweep();

  // Groups, the last seen first: of `service` when not empty, seen since `since_us`, at most `limit`.
  nlohmann::json list(const std::string& service, int64_t since_us, size_t limit);
  std::optional<nlohmann::json> find(const std::string& fingerprint);
  // Each service's rate, baseline and spike.
  nlohmann::json services();

  struct FirstSeen {
    std::string fingerprint, type;
    uint64_t events = 0;  // reported by `version` of `service`
  };
  // The groups first seen at or after `since_us` that `version` of `service` reported: what a
  // rollout's new version brought (its gate fails on them).
  std::vector<FirstSeen> first_seen_since(const std::string& service, const std::string& version, int64_t since_us) const;

  size_t size() const;

  // Takes back what storage kept before a restart (the newest max_groups of them); returns how many
  // documents could not be read, which are skipped.
  size_t restore(const StoredErrorGroups& stored);
  // Writes the groups and rates that changed since the last save, and forgets the rows of groups
  // forgotten. On a StorageError they stay to be written next time.
  void save(ErrorGroupStore& store);

 private:
  struct ServiceRate {
    ErrorRate rate;
    Spike spike;
  };

  Group& group_for(const ErrorPattern& pattern, int64_t now, bool& created);
  void count_for_service(const std::string& service, int64_t now, std::set<std::string>& touched);
  bool judge(Spike& spike, ErrorRate& rate, int64_t now, const std::string& what, const nlohmann::json& about);
  void evict_oldest();
  std::map<std::string, Group>::iterator forget(std::map<std::string, Group>::iterator group);
  nlohmann::json summary(Group& group, int64_t now);
  void publish(const std::string& topic, nlohmann::json payload, int64_t now);

  const ErrorSettings settings_;
  const std::shared_ptr<Clock> clock_;
  EventBus& events_;
  Metrics& metrics_;
  const ErrorDNA dna_;
  const ErrorClassifier classifier_;
  mutable std::mutex mutex_;
  std::map<std::string, Group> groups_;  // by fingerprint
  std::map<std::string, ServiceRate> services_;
  std::set<std::string> unsaved_groups_, forgotten_, unsaved_rates_;  // what save() writes next
  bool forgotten_overflow_ = false;                                   // more were forgotten than are named in forgotten_
};

}  // namespace hub::error_groups
