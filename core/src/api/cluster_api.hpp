// GET /cluster: the hubs that share this hub's database (those that beat within the last few
// seconds), each with its address, its lag behind the change feed and the leases it holds. On
// memory or SQLite the hub is alone, and says so.
#pragma once

#include "cluster/change_follower.hpp"
#include "cluster/membership.hpp"
#include "http/router.hpp"
#include "storage/storage.hpp"

#include <functional>
#include <string>
#include <vector>

namespace hub {

struct ClusterView {
  Storage* storage = nullptr;
  const cluster::Membership* membership = nullptr;  // null: the hub is alone on its storage
  const cluster::ChangeFollower* follower = nullptr;
  std::function<MemberRecord()> self;  // this hub, as it describes itself
  std::vector<std::string> leases;     // the leases hubs take: "liveness", "backups"
};

void add_cluster_routes(http::Router& router, ClusterView view);

}  // namespace hub
