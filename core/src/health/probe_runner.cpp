#include "probe_runner.hpp"

#include "basics/deadline_timer.hpp"
#include "basics/printable_text.hpp"
#include "plugin_host/abi_views.hpp"

#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <thread>

namespace hub {

namespace {

std::atomic<uint64_t> next_check_id{1};

// One check: decided once, by whichever of report, refusal or deadline comes first.
struct Call {
  std::mutex mutex;
  bool decided = false;
  bool in_check = true;  // a runner thread is inside the plugin's check()
  uint64_t timer_id = 0;
  const PluginInstance* probe = nullptr;
  std::chrono::milliseconds timeout{0};
  std::function<void(ProbeOutcome)> done;

  // True for the one caller that decides; it then calls done, outside the lock.
  bool decide() {
    std::lock_guard lock(mutex);
    if (decided) return false;
    decided = true;
    return true;
  }
};

struct Worker {
  std::thread thread;
  std::shared_ptr<Call> current;
  bool stuck = false;     // inside a check past its deadline
  bool retiring = false;  // replaced while stuck: exits once its call returns
  bool finished = false;
};

}  // namespace

struct ProbeRunner::Shared : std::enable_shared_from_this<Shared> {
  std::shared_ptr<spdlog::logger> logger;
  std::mutex mutex;
  std::condition_variable wake;
  std::condition_variable finished;
  std::deque<Job> queue;
  std::vector<std::unique_ptr<Worker>> workers;
  int stuck = 0;
  int replacements = 0;  // threads running in place of stuck ones
  int max_replacements = 0;
  std::map<const PluginInstance*, int> stuck_by_probe;
  bool stopping = false;
  // The reporter contexts plugins hold, each the key of its call. Freed on report, or
  // with the last owner of Shared: the runner, after the hub destroyed the plugins.
  std::mutex contexts_mutex;
  std::map<void*, std::shared_ptr<Call>> contexts;
  DeadlineTimer* timer = nullptr;  // the runner's; null once the runner is gone (under mutex)

  void start_worker();
  void work(Worker* worker);
  void run(Job job, const std::shared_ptr<Call>& call);
  void on_deadline(const std::shared_ptr<Call>& call);
  void stand_in_for(const std::shared_ptr<Call>& call);
  void cancel_deadline(uint64_t id) {
    std::lock_guard lock(mutex);
    if (timer) timer->cancel(id);
  }
  static void report(void* context, const hub_probe_result* result);
};

struct ReportContext {
  std::weak_ptr<ProbeRunner::Shared> shared;
};

void ProbeRunner::Shared::start_worker() {
  workers.push_back(std::make_unique<Worker>());
  Worker* worker = workers.back().get();
  worker->thread = std::thread([self = shared_from_this(), worker] { self->work(worker); });
}

void ProbeRunner::Shared::work(Worker* worker) {
  std::unique_lock lock(mutex);
  for (;;) {
    wake.wait(lock, [&] { return stopping || !queue.empty() || worker->retiring; });
    if (stopping || worker->retiring) break;
    Job job = std::move(queue.front());
    queue.pop_front();
    const PluginInstance* probe = job.probe;
    auto call = std::make_shared<Call>();
    worker->current = call;
    lock.unlock();
    run(std::move(job), call);
    lock.lock();
    worker->current.reset();
    if (worker->stuck) {
      worker->stuck = false;
      --stuck;
      if (--stuck_by_probe[probe] == 0) stuck_by_probe.erase(probe);
    }
    if (worker->retiring) {
      --replacements;
      break;
    }
  }
  worker->finished = true;
  finished.notify_all();
}

void ProbeRunner::Shared::report(void* context, const hub_probe_result* result) {
  auto* report_context = static_cast<ReportContext*>(context);
  std::shared_ptr<Shared> self = report_context->shared.lock();
  if (!self) return;
  std::shared_ptr<Call> call;
  {
    std::lock_guard lock(self->contexts_mutex);
    auto found = self->contexts.find(context);
    if (found == self->contexts.end()) return;  // a second report: ignored
    call = std::move(found->second);
    self->contexts.erase(found);
  }
  delete report_context;
  {
    std::lock_guard lock(self->mutex);
    if (self->stopping) return;  // whoever wanted the result may be gone
  }
  if (!call->decide()) return;  // the deadline came first
  self->cancel_deadline(call->timer_id);
  ProbeOutcome outcome;
  outcome.status = result->status;
  if (HUB_HAS_MEMBER(result, hub_probe_result, latency_us)) outcome.latency_us = result->latency_us;
  if (HUB_HAS_MEMBER(result, hub_probe_result, message) && result->message.len)
    outcome.message = printable_text(std::string_view(result->message.ptr, result->message.len));
  call->done(std::move(outcome));
}

void ProbeRunner::Shared::run(Job job, const std::shared_ptr<Call>& call) {
  call->probe = job.probe;
  call->timeout = job.timeout;
  call->done = std::move(job.done);
  auto* context = new ReportContext{weak_from_this()};
  {
    std::lock_guard lock(contexts_mutex);
    contexts[context] = call;
  }
  const std::vector<hub_kv> attributes = kv_views(job.target.attributes);
  const hub_probe_target target{sizeof(hub_probe_target),      str_view(job.target.name), str_view(job.target.host), job.target.port,
                                str_view(job.target.endpoint), attributes.data(),         attributes.size()};
  const hub_probe_reporter reporter{sizeof(hub_probe_reporter), context, &Shared::report};
  const hub_host& host = job.probe->host_table();
  const int64_t deadline = host.monotonic_us(host.host_ctx) + job.timeout.count() * 1000;
  {
    std::lock_guard lock(mutex);
    if (!timer) return;  // the runner is gone
    // The callback holds no strong reference: the runner alone decides when Shared may go.
    call->timer_id = timer->schedule(std::chrono::steady_clock::now() + job.timeout, [shared = this, call] { shared->on_deadline(call); });
  }
  const auto& vtable = job.probe->vtable<hub_health_probe_vtable>();
  const hub_status status = vtable.check(job.probe->handle(), next_check_id++, &target, deadline, &reporter);
  {
    std::lock_guard lock(call->mutex);
    call->in_check = false;
  }
  if (status == HUB_OK) return;
  {
    std::lock_guard lock(contexts_mutex);
    if (contexts.erase(context)) delete context;  // refused: nothing will be reported
  }
  {
    std::lock_guard lock(mutex);
    if (stopping) return;  // whoever wanted the result may be gone
  }
  if (!call->decide()) return;
  cancel_deadline(call->timer_id);
  call->done({HUB_HEALTH_DOWN, 0, "probe '" + job.probe->id() + "' refused the check: " + job.probe->last_error()});
}

void ProbeRunner::Shared::on_deadline(const std::shared_ptr<Call>& call) {
  if (!call->decide()) return;
  bool still_inside;
  {
    std::lock_guard lock(call->mutex);
    still_inside = call->in_check;
  }
  // The thread is counted stuck (and replaced) before the result is handed on, so whoever reads the
  // result sees the runner's state that goes with it.
  if (still_inside) stand_in_for(call);
  call->done({HUB_HEALTH_DOWN, call->timeout.count() * 1000, "timed out after " + std::to_string(call->timeout.count()) + " ms"});
}

// The plugin still holds a runner thread: replace it, so the other checks keep their capacity.
void ProbeRunner::Shared::stand_in_for(const std::shared_ptr<Call>& call) {
  std::lock_guard lock(mutex);
  if (stopping) return;
  std::erase_if(workers, [](std::unique_ptr<Worker>& worker) {
    if (!worker->finished) return false;
    worker->thread.join();
    return true;
  });
  for (auto& worker : workers) {
    if (worker->current != call || worker->stuck) continue;
    worker->stuck = true;
    ++stuck;
    ++stuck_by_probe[call->probe];
    if (replacements < max_replacements) {
      worker->retiring = true;
      ++replacements;
      start_worker();
      logger->warn("probe '{}' is still inside check() at its {} ms deadline; another thread takes its place", call->probe->id(),
                   call->timeout.count());
    } else {
      logger->warn(
          "probe '{}' is still inside check() at its {} ms deadline, and {} threads already stand in for stuck ones: "
          "its checks are reported down until it returns",
          call->probe->id(), call->timeout.count(), max_replacements);
    }
    return;
  }
}

ProbeRunner::ProbeRunner(int threads, int max_replacements, std::shared_ptr<spdlog::logger> logger)
    : shared_(std::make_shared<Shared>()), timer_(std::make_unique<DeadlineTimer>()) {
  shared_->logger = std::move(logger);
  shared_->max_replacements = max_replacements;
  shared_->timer = timer_.get();
  std::lock_guard lock(shared_->mutex);
  for (int i = 0; i < threads; ++i) shared_->start_worker();
}

ProbeRunner::~ProbeRunner() {
  stop(std::chrono::milliseconds(0));
  {
    std::lock_guard lock(shared_->mutex);
    shared_->timer = nullptr;
  }
  timer_.reset();  // joins the timer's thread: no deadline callback runs after this
  std::lock_guard lock(shared_->contexts_mutex);
  // Contexts no plugin reported on: the hub destroyed the plugins before the runner.
  for (auto& [context, call] : shared_->contexts) delete static_cast<ReportContext*>(context);
  shared_->contexts.clear();
}

void ProbeRunner::submit(Job job) {
  int stuck_here = 0;
  {
    std::lock_guard lock(shared_->mutex);
    if (shared_->stopping) return;
    if (auto found = shared_->stuck_by_probe.find(job.probe);
        found != shared_->stuck_by_probe.end() && shared_->replacements >= shared_->max_replacements) {
      stuck_here = found->second;
    } else {
      shared_->queue.push_back(std::move(job));
    }
  }
  if (stuck_here == 0) return shared_->wake.notify_one();
  // No thread for a probe that holds threads it never returned: the check is down without one.
  job.done({HUB_HEALTH_DOWN, 0,
            "probe stuck: " + std::to_string(stuck_here) + " check(s) of probe '" + job.probe->id() +
                "' are still inside check() past their deadline; no thread is given to it until they return"});
}

std::map<std::string, int> ProbeRunner::stuck_probes() const {
  std::lock_guard lock(shared_->mutex);
  std::map<std::string, int> stuck;
  for (const auto& [probe, count] : shared_->stuck_by_probe) stuck[probe->id()] = count;
  return stuck;
}

int ProbeRunner::stuck_threads() const {
  std::lock_guard lock(shared_->mutex);
  return shared_->stuck;
}

std::vector<const PluginInstance*> ProbeRunner::stop(std::chrono::milliseconds grace) {
  std::vector<Worker*> finished, stuck_workers;
  std::vector<const PluginInstance*> stuck;
  {
    std::unique_lock lock(shared_->mutex);
    shared_->stopping = true;
    shared_->queue.clear();
    shared_->wake.notify_all();
    shared_->finished.wait_for(lock, grace, [&] {
      for (auto& worker : shared_->workers)
        if (!worker->finished && worker->current) return false;
      return true;
    });
    for (auto& worker : shared_->workers) {
      if (!worker->thread.joinable()) continue;
      if (worker->finished || !worker->current) {
        finished.push_back(worker.get());
      } else {
        stuck.push_back(worker->current->probe);
        stuck_workers.push_back(worker.get());
      }
    }
  }
  for (Worker* worker : finished) worker->thread.join();         // idle ones wake on stopping and leave
  for (Worker* worker : stuck_workers) worker->thread.detach();  // it holds Shared alive until the plugin returns
  return stuck;
}

}  // namespace hub
