// Durable writes committed in groups. Every write submitted while a group is
// being stored joins the next group, and each group is one transaction
// (WriteStore::save_writes): a busy hub pays one commit, one fsync under
// `synchronous: full`, for many writes, while each write's answer still waits
// for its own group's commit. Nothing waits for a group to fill: an idle hub
// stores a lone write at once.
//
// Writes of the same key (an instance, a config scope) are planned one after
// another: a write's plan runs only once the previous write of its key has
// been stored and that write's `stored` has run, so every plan reads memory
// that already holds the changes before it. Writes of different keys plan in
// parallel and share groups.
#pragma once

#include "write.hpp"

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace hub {

class GroupCommit {
 public:
  // Runs on the committing thread once the write's group is stored, in commit order, with
  // write.outcome saying whether it was. Must not block, nor wait on another write.
  using Stored = std::function<void(Write&)>;
  struct Planned {
    Write write;
    Stored stored;
  };
  // Reads memory and decides the write; nullopt when there is nothing to store (the plan has then
  // answered its caller itself).
  using Plan = std::function<std::optional<Planned>()>;

  explicit GroupCommit(WriteStore& store, size_t max_group = 1024);
  ~GroupCommit();
  GroupCommit(const GroupCommit&) = delete;
  GroupCommit& operator=(const GroupCommit&) = delete;

  // Runs `plan` on this thread now, or, when a write of `key` is in flight, on the committing
  // thread once that write is stored.
  void submit(const std::string& key, Plan plan);
  // Stores what was submitted, then stops; writes planned later fail (unavailable) at once.
  void stop();

  struct Figures {
    uint64_t groups = 0;   // transactions committed or failed
    uint64_t writes = 0;   // writes they carried
    uint64_t largest = 0;  // writes in the largest group
  };
  Figures figures() const;

 private:
  struct Queued {
    std::string key;
    Planned planned;
  };
  void run_plan(std::string key, Plan plan);
  void enqueue(std::string key, Planned planned);
  // The write of `key` is done: the next plan waiting on it, if any, runs now.
  void release(const std::string& key);
  // The next plan waiting on `key`; nullopt frees the key.
  std::optional<Plan> next_plan(const std::string& key);
  void commit_groups();
  void store(std::vector<Queued>& group);

  WriteStore& store_;
  const size_t max_group_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Queued> queue_;
  std::map<std::string, std::deque<Plan>, std::less<>> in_flight_;  // keys with a write planned, and plans waiting on them
  bool stopping_ = false;                                           // stop() was called: the committer drains the queue, then ends
  bool stopped_ = false;                                            // the committer has ended: writes fail at once
  Figures figures_;
  std::thread committer_;
};

}  // namespace hub
