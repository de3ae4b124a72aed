#include "cluster_api.hpp"

#include "basics/time_text.hpp"
#include "http/encoding.hpp"

#include <hub/errors.hpp>

#include "hub/api/v1/status.pb.h"

#include <algorithm>
#include <map>

namespace hub {

namespace {

void to_proto(const MemberRecord& member, int64_t latest, api::v1::ClusterMember& out) {
  out.set_hub_id(member.hub_id);
  out.set_address(member.address);
  out.set_version(member.version);
  out.set_started_at(rfc3339_utc(member.started_at_unix_us));
  out.set_applied_revision(member.applied_revision);
  out.set_lag(std::max<int64_t>(0, latest - member.applied_revision));
  out.set_silent_seconds(member.silent_seconds);
}

api::v1::ClusterResponse describe(const ClusterView& view) {
  api::v1::ClusterResponse body;
  const MemberRecord self = view.self();
  body.set_hub_id(self.hub_id);
  if (!view.membership) {
    to_proto(self, 0, *body.add_hubs());
    body.mutable_hubs(0)->set_self(true);
    for (const std::string& lease : view.leases) body.mutable_hubs(0)->add_leases(lease);
    return body;
  }
  const int64_t latest = view.follower ? view.follower->latest() : 0;
  body.set_shared(true);
  body.set_latest_revision(latest);
  std::map<std::string, std::vector<std::string>> held;  // by hub id
  for (const std::string& lease : view.leases) {
    try {
      if (const std::string holder = view.storage->lease_holder(lease); !holder.empty()) held[holder].push_back(lease);
    } catch (const StorageError&) {
      // Storage away: the leases are unknown, the members as last read still stand.
    }
  }
  for (const MemberRecord& member : view.membership->members()) {
    api::v1::ClusterMember& out = *body.add_hubs();
    to_proto(member, latest, out);
    out.set_self(member.hub_id == self.hub_id);
    for (const std::string& lease : held[member.hub_id]) out.add_leases(lease);
  }
  return body;
}

}  // namespace

void add_cluster_routes(http::Router& router, ClusterView view) {
  router.add("GET", "/cluster", [view](const http::Request& request) { return http::encode(request, describe(view)); });
}

}  // namespace hub
