#include "membership.hpp"

#include <hub/errors.hpp>

#include <algorithm>

namespace hub::cluster {

Membership::Membership(Storage& storage, std::function<int64_t()> applied, std::function<void(std::shared_ptr<const HashRing>)> changed,
                       std::shared_ptr<spdlog::logger> logger, Settings settings)
    : storage_(storage), applied_(std::move(applied)), changed_(std::move(changed)), logger_(std::move(logger)), settings_(settings) {}

Membership::~Membership() {
  stop();
}

void Membership::start(MemberRecord self) {
  self_ = std::move(self);
  beat();
  thread_ = std::thread([this] { run(); });
}

void Membership::stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  try {
    storage_.leave_members();
  } catch (const StorageError& error) {
    logger_->warn("this hub's row in hub_members was not deleted; the other hubs see it gone within {} s: {}",
                  settings_.alive_within.count(), error.what());
  }
}

void Membership::run() {
  std::unique_lock lock(mutex_);
  while (!wake_.wait_for(lock, settings_.beat_every, [&] { return stopping_; })) {
    lock.unlock();
    beat();
    lock.lock();
  }
}

bool Membership::beat() {
  MemberRecord self = self_;
  self.applied_revision = applied_();
  std::vector<MemberRecord> members;
  try {
    members = storage_.beat_member(self, settings_.alive_within);
  } catch (const StorageError& error) {
    std::shared_ptr<const HashRing> alone;
    {
      std::lock_guard lock(mutex_);
      if (!failing_) logger_->warn("this hub's membership beat failed; it keeps its share of the checks meanwhile: {}", error.what());
      failing_ = true;
      if (ids_.empty()) {  // never knew the others: it checks everything rather than nothing
        ids_ = {self_.hub_id};
        alone = std::make_shared<const HashRing>(ids_);
      }
    }
    if (alone) changed_(alone);
    return false;
  }
  std::vector<std::string> ids;
  for (const MemberRecord& member : members) ids.push_back(member.hub_id);
  if (std::find(ids.begin(), ids.end(), self_.hub_id) == ids.end()) ids.push_back(self_.hub_id);  // its beat is older than the read
  std::sort(ids.begin(), ids.end());
  std::shared_ptr<const HashRing> ring;
  {
    std::lock_guard lock(mutex_);
    if (failing_) logger_->info("this hub's membership beat succeeded again");
    failing_ = false;
    members_ = std::move(members);
    if (ids != ids_) {
      std::string names;
      for (const std::string& id : ids) names += (names.empty() ? "" : ", ") + id;
      logger_->info("{} hub(s) share this database now: {}", ids.size(), names);
      ids_ = ids;
      ring = std::make_shared<const HashRing>(ids);
    }
  }
  if (ring) changed_(ring);
  return true;
}

std::vector<MemberRecord> Membership::members() const {
  std::lock_guard lock(mutex_);
  return members_;
}

}  // namespace hub::cluster
