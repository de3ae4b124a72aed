// Runs health checks through health_probe plugins and holds them to their
// deadline from the core's side. check() is called on the runner's threads,
// since a synchronous plugin blocks in it; a result is decided exactly once:
// by the plugin's report, by its refusal, or by the deadline, whichever comes
// first. A thread still inside check() at the deadline is replaced, so a hung
// probe cannot starve the others; it retires once the plugin returns. At most
// `max_replacements` threads stand in for stuck ones: past that a stuck thread
// is not replaced, and a probe with stuck threads gets no more of them: its
// checks are reported down ("probe stuck") at once, so threads stay bounded.
#pragma once

#include "health_probe.hpp"
#include "plugin_host/plugin_instance.hpp"

#include <spdlog/logger.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace hub {

class ProbeRunner {
 public:
  struct Job {
    const PluginInstance* probe = nullptr;
    CheckTarget target;
    std::chrono::milliseconds timeout{5000};
    std::function<void(ProbeOutcome)> done;  // called once, from any thread
  };

  ProbeRunner(int threads, int max_replacements, std::shared_ptr<spdlog::logger> logger);
  ~ProbeRunner();  // call stop() first
  ProbeRunner(const ProbeRunner&) = delete;
  ProbeRunner& operator=(const ProbeRunner&) = delete;

  void submit(Job job);
  // Stops taking jobs and joins every thread that returns from its plugin
  // within `grace`. Returns the probes a thread is still stuck inside: the
  // hub must never destroy those (PluginSet::abandon).
  std::vector<const PluginInstance*> stop(std::chrono::milliseconds grace);
  int stuck_threads() const;
  // The probes with threads stuck inside check() past their deadline, by id, and how many each.
  std::map<std::string, int> stuck_probes() const;

  struct Shared;  // what the threads use; a thread stuck in a plugin keeps it alive

 private:
  std::shared_ptr<Shared> shared_;
  std::unique_ptr<class DeadlineTimer> timer_;
};

}  // namespace hub
