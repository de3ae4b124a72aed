#include "group_commit.hpp"

#include <hub/errors.hpp>

#include <pthread.h>

#include <algorithm>

namespace hub {

GroupCommit::GroupCommit(WriteStore& store, size_t max_group) : store_(store), max_group_(std::max<size_t>(1, max_group)) {
  committer_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "hub-commit");  // what top -H and perf show
    commit_groups();
  });
}

GroupCommit::~GroupCommit() {
  stop();
}

void GroupCommit::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (committer_.joinable()) committer_.join();
}

void GroupCommit::submit(const std::string& key, Plan plan) {
  {
    std::lock_guard lock(mutex_);
    auto [found, first] = in_flight_.try_emplace(key);
    if (!first) {
      found->second.push_back(std::move(plan));
      return;
    }
  }
  run_plan(key, std::move(plan));
}

void GroupCommit::run_plan(std::string key, Plan plan) {
  // A plan with nothing to store frees its key at once, and the next one waiting on it runs.
  for (;;) {
    std::optional<Planned> planned = plan();
    if (planned) return enqueue(std::move(key), std::move(*planned));
    std::optional<Plan> next = next_plan(key);
    if (!next) return;
    plan = std::move(*next);
  }
}

std::optional<GroupCommit::Plan> GroupCommit::next_plan(const std::string& key) {
  std::lock_guard lock(mutex_);
  auto found = in_flight_.find(key);
  if (found == in_flight_.end()) return std::nullopt;
  if (found->second.empty()) {
    in_flight_.erase(found);
    return std::nullopt;
  }
  Plan next = std::move(found->second.front());
  found->second.pop_front();
  return next;
}

void GroupCommit::enqueue(std::string key, Planned planned) {
  {
    std::lock_guard lock(mutex_);
    if (!stopped_) {
      queue_.push_back({std::move(key), std::move(planned)});
      if (queue_.size() == 1) wake_.notify_one();
      return;
    }
  }
  planned.write.outcome = {Code::unavailable, "the hub is stopping", "storage_unavailable"};
  planned.stored(planned.write);
  release(key);
}

void GroupCommit::release(const std::string& key) {
  if (std::optional<Plan> next = next_plan(key)) run_plan(key, std::move(*next));
}

void GroupCommit::commit_groups() {
  std::vector<Queued> group;
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return !queue_.empty() || stopping_; });
      if (queue_.empty()) {
        stopped_ = true;
        return;
      }
      const size_t take = std::min(queue_.size(), max_group_);
      group.assign(std::make_move_iterator(queue_.begin()), std::make_move_iterator(queue_.begin() + static_cast<std::ptrdiff_t>(take)));
      queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(take));
    }
    store(group);
    group.clear();
  }
}

void GroupCommit::store(std::vector<Queued>& group) {
  std::vector<Write> writes;
  writes.reserve(group.size());
  for (Queued& queued : group) writes.push_back(std::move(queued.planned.write));
  try {
    store_.save_writes(writes);
  } catch (const std::exception& error) {
    for (Write& write : writes) write.outcome = {Code::unavailable, error.what(), "storage_unavailable"};
  }
  {
    std::lock_guard lock(mutex_);
    ++figures_.groups;
    figures_.writes += writes.size();
    figures_.largest = std::max<uint64_t>(figures_.largest, writes.size());
  }
  for (size_t i = 0; i < group.size(); ++i) {
    group[i].planned.stored(writes[i]);
    release(group[i].key);
  }
}

GroupCommit::Figures GroupCommit::figures() const {
  std::lock_guard lock(mutex_);
  return figures_;
}

}  // namespace hub
