// What several hubs on one database ask of storage: the change feed (one row per stored change of
// an instance or a config, revisions in commit order), a way to wait for the next one, and the rows
// a change names. Only PostgreSQL has a feed; on memory and SQLite one hub owns its storage.
#pragma once

#include "instance_record.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace hub {

// A hub sharing the database, as its row in hub_members says.
struct MemberRecord {
  std::string hub_id;
  std::string address;  // where clients reach its API, host:port
  std::string version;
  int64_t started_at_unix_us = 0;
  int64_t applied_revision = 0;  // the last feed revision it took in
  double silent_seconds = 0;     // since its last beat, in the database's time
};

struct FeedChange {
  int64_t revision = 0;
  std::string hub_id;  // the hub that stored it
  std::string kind;    // "instance" (stored or its status changed), "removal", "config", or "reload" (a snapshot replaced everything)
  std::string service;
  std::string instance_id;
};

class ChangeFeedStore {
 public:
  virtual ~ChangeFeedStore() = default;
  // True when other hubs may write to this storage, and the feed tells of their changes.
  virtual bool has_change_feed() const { return false; }
  // This process's name in the feed: its own changes carry it.
  virtual std::string hub_id() const { return ""; }
  // The feed's newest and oldest revisions; 0 when it is empty.
  virtual int64_t latest_change() { return 0; }
  virtual int64_t oldest_change() { return 0; }
  // At most `limit` changes after `revision`, oldest first.
  virtual std::vector<FeedChange> changes_after(int64_t, size_t) { return {}; }
  // Waits up to `wait` for another hub's (or this one's) NOTIFY, on a connection of its own; true
  // when one came. Throws StorageError when that connection is lost (the next call reconnects).
  virtual bool wait_for_change(std::chrono::milliseconds) { return false; }
  // One instance's row as stored now; nullopt when it is gone.
  virtual std::optional<InstanceRecord> load_instance(const std::string&, const std::string&) { return std::nullopt; }
  // Forgets the feed's rows older than `older_than_unix_us`.
  virtual void prune_changes(int64_t) {}

  // Work one hub does for all (the liveness pass): true while this process holds the lease called
  // `name`. Taken when free, kept while this process's connection lives, so a hub that dies (even
  // by kill -9) gives it up within seconds. Without a feed, the one hub always holds it.
  virtual bool hold_lease(const std::string&) { return true; }
  // The hub id holding the lease called `name` now; empty when none does.
  virtual std::string lease_holder(const std::string&) { return hub_id(); }
  // The instances' heartbeats stored at or after `since_unix_us`, whichever hub took them (each
  // flushes them every pass).
  virtual std::vector<HeartbeatMark> load_heartbeats(int64_t) { return {}; }

  // Writes this hub's row (its beat, in the database's time) and returns every hub that beat within
  // `alive_within`, this one included, by hub id. Without a feed: none.
  virtual std::vector<MemberRecord> beat_member(const MemberRecord&, std::chrono::seconds) { return {}; }
  // Deletes this hub's row, so the others share out its work at once.
  virtual void leave_members() {}

  // True when this hub is the first to claim `key` (an alert several hubs may raise on their own);
  // claims older than a day are forgotten. Without a feed: always true.
  virtual bool claim_alert(const std::string&) { return true; }
};

}  // namespace hub
