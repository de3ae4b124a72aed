#include "plugin_process.hpp"

#include "basics/json_text.hpp"
#include "basics/printable_text.hpp"
#include "messages.hpp"
#include "plugin_host/creating_implementation.hpp"
#include "plugin_host/kinds.hpp"

#include <hub/errors.hpp>
#include "plugin_host/plugin_loader.hpp"

#include <dlfcn.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstring>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

extern char** environ;

namespace hub::isolation {

namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kCallTimeout = std::chrono::seconds(10);  // create, start, stop
constexpr auto kAssessTimeout = std::chrono::seconds(1);
constexpr auto kExitGrace = std::chrono::seconds(1);
constexpr auto kFirstBackoff = std::chrono::milliseconds(100);
constexpr auto kLongestBackoff = std::chrono::seconds(30);
constexpr auto kStableRun = std::chrono::seconds(60);  // a crash after this long starts the backoff over

thread_local std::string last_error;  // what the proxies' get_last_error returns

class Process;

// A proxy instance: the handle the core holds for an instance living in the host.
struct Proxy {
  std::shared_ptr<Process> process;
  uint32_t key = 0;
  const hub_host* host = nullptr;  // the core's table for this instance: logs and metrics go through it
  CreateMessage create;            // to make it again after a restart
  std::mutex sink_mutex;
  bool started = false;
  hub_discovery_sink sink{};
};

struct PendingCheck {
  hub_probe_reporter reporter;
  int64_t deadline_us = 0;  // on the core's clock, through `host`
  const hub_host* host = nullptr;
};

std::string describe_exit(int status) {
  if (WIFSIGNALED(status)) return "signal " + std::to_string(WTERMSIG(status)) + " (" + strsignal(WTERMSIG(status)) + ")";
  if (WIFEXITED(status)) return "the plugin host exited with status " + std::to_string(WEXITSTATUS(status));
  return "the plugin host ended";
}

void report_down(const hub_probe_reporter& reporter, const std::string& message) {
  const hub_probe_result result{sizeof(hub_probe_result), HUB_HEALTH_DOWN, 0, {message.data(), message.size()}};
  reporter.report(reporter.reporter_ctx, &result);
}

class Process final : public PluginProcess {
 public:
  Process(std::filesystem::path library, HostServices services) : library_(std::move(library)), services_(std::move(services)) {}
  ~Process() override;

  void launch();
  const hub_plugin_descriptor& descriptor() const override { return descriptor_; }
  std::string problem() const override {
    std::lock_guard lock(mutex_);
    return problem_;
  }
  std::string history() const override {
    std::lock_guard lock(mutex_);
    return history_;
  }

  hub_status create(Proxy& proxy, const hub_implementation& implementation, const hub_config& config);
  void destroy(Proxy& proxy);
  void check(Proxy& proxy, uint64_t check_id, const hub_probe_target& target, int64_t deadline_us, const hub_probe_reporter& reporter);
  hub_status start(Proxy& proxy, const hub_discovery_sink& sink);
  void stop(Proxy& proxy);
  hub_liveness_action assess(Proxy& proxy, const hub_liveness_input& input);

 private:
  void spawn();
  DescriptorMessage read_descriptor();
  void supervise();
  void read_frames();
  void dispatch(const Frame& frame);
  void deliver(const Frame& frame);
  std::string reap();
  void crashed(const std::string& why);
  bool recreate(std::string& why);
  void build_descriptor(const DescriptorMessage& message);
  std::optional<std::string> call(Message request, const Writer& body, Message reply, uint64_t id, Clock::duration timeout);
  bool send(Message type, const Writer& body);
  void log(hub_log_level level, const std::string& message) const {
    if (services_.log) services_.log(name_, level, message);
  }

  const std::filesystem::path library_;
  const HostServices services_;
  std::string name_;  // the library's own name, from its descriptor

  // The descriptor the core sees: its strings and implementations live here.
  std::string version_, description_;
  std::vector<std::string> implementation_names_;
  std::vector<hub_implementation> implementations_;
  hub_plugin_descriptor descriptor_{};

  // The process now: one incarnation after another.
  pid_t pid_ = -1;
  int fd_ = -1;
  std::unique_ptr<FrameReader> reader_;
  std::mutex send_mutex_;
  std::mutex delivering_;  // held while what the host sent reaches an instance's core side; destroy() waits for it
  std::thread supervisor_;

  mutable std::mutex mutex_;
  std::condition_variable changed_;
  bool stopping_ = false;
  bool connected_ = false;  // answers calls
  bool running_ = false;    // its instances are made: checks go to it
  uint64_t incarnation_ = 0;
  std::string problem_, history_;
  int restarts_ = 0, crashes_in_a_row_ = 0;
  Clock::time_point started_at_;
  uint32_t next_key_ = 1;
  std::map<uint32_t, Proxy*> proxies_;
  std::map<uint64_t, PendingCheck> checks_;
  std::map<std::pair<Message, uint64_t>, std::optional<std::string>> replies_;  // awaited, then answered
};

// Which process a proxy implementation stands for: create() learns it from the implementation.
std::mutex registry_mutex;
std::map<const hub_implementation*, std::weak_ptr<Process>> registry;

std::shared_ptr<Process> process_of(const hub_implementation* implementation) {
  std::lock_guard lock(registry_mutex);
  auto found = registry.find(implementation);
  return found == registry.end() ? nullptr : found->second.lock();
}

// ------------------------------------------------------------------ the proxies' C ABI

Proxy& proxy_of(void* handle) {
  return *static_cast<Proxy*>(handle);
}

hub_status proxy_create(const hub_host* host, const hub_config* config, void** out) {
  const hub_implementation* implementation = implementation_being_created();
  std::shared_ptr<Process> process = process_of(implementation);
  if (!process) {
    last_error = "the plugin host of this implementation is gone";
    return HUB_UNAVAILABLE;
  }
  auto proxy = std::make_unique<Proxy>();
  proxy->process = process;
  proxy->host = host;
  const hub_status status = process->create(*proxy, *implementation, *config);
  if (status == HUB_OK) *out = proxy.release();
  return status;
}

// The kinds a host does not run: their create says so, and the other hooks are never reached.
hub_status refuse_create(const hub_host*, const hub_config*, void**) {
  const hub_implementation* implementation = implementation_being_created();
  last_error = "isolation: process runs health_probe and discovery implementations; '" + std::string(implementation->name) + "' is a " +
               kind_name(implementation->kind) + ", a hot-path kind that stays in process: drop isolation: process from its library";
  return HUB_UNIMPLEMENTED;
}

void proxy_destroy(void* handle) {
  std::unique_ptr<Proxy> proxy(&proxy_of(handle));
  proxy->process->destroy(*proxy);
}

const char* proxy_last_error(void*) {
  return last_error.c_str();
}

hub_status proxy_check(void* handle, uint64_t check_id, const hub_probe_target* target, int64_t deadline,
                       const hub_probe_reporter* reporter) {
  proxy_of(handle).process->check(proxy_of(handle), check_id, *target, deadline, *reporter);
  return HUB_OK;  // accepted: the result comes through the reporter, from the host or from a crash
}

hub_status proxy_start(void* handle, const hub_discovery_sink* sink) {
  return proxy_of(handle).process->start(proxy_of(handle), *sink);
}

void proxy_stop(void* handle) {
  proxy_of(handle).process->stop(proxy_of(handle));
}

hub_liveness_action proxy_assess(void* handle, const hub_liveness_input* input) {
  return proxy_of(handle).process->assess(proxy_of(handle), *input);
}

hub_status never_update(void*, const hub_lb_candidate*, size_t) {
  return HUB_UNIMPLEMENTED;
}
hub_status never_pick(void*, hub_str, uint64_t, size_t*) {
  return HUB_UNIMPLEMENTED;
}
hub_status never_acquire(void*, int64_t, hub_circuit_decision*) {
  return HUB_UNIMPLEMENTED;
}
void never_record(void*, hub_call_outcome, int64_t, int64_t) {}
hub_status never_next_step(void*, const hub_rollout_state*, const hub_rollout_action**, size_t*) {
  return HUB_UNIMPLEMENTED;
}

const hub_health_probe_vtable kProbe{
    sizeof(hub_health_probe_vtable), &proxy_create, &proxy_destroy, &proxy_last_error, &proxy_check, nullptr};
const hub_discovery_vtable kSource{
    sizeof(hub_discovery_vtable), &proxy_create, &proxy_destroy, &proxy_last_error, &proxy_start, &proxy_stop, nullptr};
const hub_discovery_vtable kSourceWithLiveness{
    sizeof(hub_discovery_vtable), &proxy_create, &proxy_destroy, &proxy_last_error, &proxy_start, &proxy_stop, &proxy_assess};
const hub_load_balancer_vtable kBalancer{
    sizeof(hub_load_balancer_vtable), &refuse_create, &proxy_destroy, &proxy_last_error, &never_update, &never_pick};
const hub_circuit_breaker_vtable kBreaker{
    sizeof(hub_circuit_breaker_vtable), &refuse_create, &proxy_destroy, &proxy_last_error, &never_acquire, &never_record, nullptr};
const hub_deployment_coordinator_vtable kCoordinator{sizeof(hub_deployment_coordinator_vtable), &refuse_create, &proxy_destroy,
                                                     &proxy_last_error, &never_next_step};

const void* proxy_vtable(const DescriptorMessage::Implementation& implementation) {
  switch (implementation.kind) {
    case HUB_KIND_HEALTH_PROBE:
      return &kProbe;
    case HUB_KIND_DISCOVERY:
      return implementation.liveness ? &kSourceWithLiveness : &kSource;
    case HUB_KIND_LOAD_BALANCER:
      return &kBalancer;
    case HUB_KIND_CIRCUIT_BREAKER:
      return &kBreaker;
    case HUB_KIND_DEPLOYMENT_COORDINATOR:
      return &kCoordinator;
    default:
      return nullptr;
  }
}

// ------------------------------------------------------------------ the process

Process::~Process() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    if (fd_ >= 0) ::shutdown(fd_, SHUT_RDWR);  // the host reads its end of stream and leaves
  }
  changed_.notify_all();
  if (supervisor_.joinable()) supervisor_.join();
  std::lock_guard registered(registry_mutex);
  for (const hub_implementation& implementation : implementations_) registry.erase(&implementation);
}

void Process::launch() {
  spawn();
  build_descriptor(read_descriptor());
  {
    std::lock_guard lock(mutex_);
    connected_ = running_ = true;
    started_at_ = Clock::now();
  }
  supervisor_ = std::thread([this] { supervise(); });
}

void Process::spawn() {
  const std::filesystem::path program = plugin_host_program();
  int ends[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ends) != 0)
    throw PluginError(std::string("plugin ") + library_.string() + ": no socket for its host: " + std::strerror(errno));
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, ends[1], 3);  // dup2 clears close-on-exec for the host's end
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  sigset_t none, defaults;
  sigemptyset(&none);
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);
  // Its own process group (a ^C at the terminal is the hub's to handle) and no signal blocked that hubd blocks.
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  posix_spawnattr_setpgroup(&attributes, 0);
  posix_spawnattr_setsigmask(&attributes, &none);
  posix_spawnattr_setsigdefault(&attributes, &defaults);
  const std::string program_text = program.string(), library_text = library_.string();
  char* argv[] = {const_cast<char*>(program_text.c_str()), const_cast<char*>("--socket"),           const_cast<char*>("3"),
                  const_cast<char*>("--library"),          const_cast<char*>(library_text.c_str()), nullptr};
  pid_t pid = -1;
  const int failed = ::posix_spawn(&pid, program_text.c_str(), &actions, &attributes, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  ::close(ends[1]);
  if (failed) {
    ::close(ends[0]);
    throw PluginError("plugin " + library_.string() + ": cannot start " + program_text + ": " + std::strerror(failed));
  }
  std::lock_guard lock(mutex_);
  pid_ = pid;
  fd_ = ends[0];
  reader_ = std::make_unique<FrameReader>(fd_);
}

DescriptorMessage Process::read_descriptor() {
  try {
    std::optional<Frame> frame = reader_->next(Clock::now() + kCallTimeout);
    if (!frame) throw WireError("the plugin host closed its socket before describing the library");
    if (frame->type == Message::load_failed) throw PluginError(printable_text(decode_text(frame->body)));
    if (frame->type != Message::descriptor) throw WireError("the plugin host did not start with its descriptor");
    return decode_descriptor(frame->body);
  } catch (const WireError& error) {
    throw PluginError("plugin " + library_.string() + ": its host failed to start: " + error.what());
  }
}

void Process::build_descriptor(const DescriptorMessage& message) {
  name_ = printable_text(message.name, 200);
  version_ = printable_text(message.version, 100);
  description_ = printable_text(message.description);
  implementation_names_.clear();
  for (const auto& implementation : message.implementations) implementation_names_.push_back(printable_text(implementation.name, 200));
  implementations_.clear();
  for (size_t i = 0; i < message.implementations.size(); ++i) {
    const void* vtable = proxy_vtable(message.implementations[i]);
    if (!vtable) continue;
    implementations_.push_back({sizeof(hub_implementation), message.implementations[i].kind, implementation_names_[i].c_str(), vtable});
  }
  descriptor_ = {sizeof(hub_plugin_descriptor), message.abi_version,     name_.c_str(),          version_.c_str(),
                 description_.c_str(),          implementations_.data(), implementations_.size()};
}

bool Process::send(Message type, const Writer& body) {
  std::lock_guard lock(send_mutex_);
  int fd;
  {
    std::lock_guard state(mutex_);
    if (!connected_) return false;
    fd = fd_;
  }
  return send_frame(fd, type, body);
}

// Sends `request` and waits for its `reply` numbered `id`; nullopt when the host is away, crashes, or is silent
// past `timeout` (it is then killed: a host that stops answering is restarted like one that crashed).
std::optional<std::string> Process::call(Message request, const Writer& body, Message reply, uint64_t id, Clock::duration timeout) {
  const auto slot = std::make_pair(reply, id);
  uint64_t incarnation;
  {
    std::lock_guard lock(mutex_);
    if (!connected_) return std::nullopt;
    incarnation = incarnation_;
    replies_[slot] = std::nullopt;
  }
  const bool sent = send(request, body);
  std::unique_lock lock(mutex_);
  const bool answered = sent && changed_.wait_for(lock, timeout, [&] {
    auto found = replies_.find(slot);
    return (found != replies_.end() && found->second) || incarnation_ != incarnation || stopping_;
  });
  std::optional<std::string> answer;
  if (auto found = replies_.find(slot); found != replies_.end()) {
    answer = std::move(found->second);
    replies_.erase(found);
  }
  if (!answered && !answer && sent && incarnation_ == incarnation && !stopping_ && pid_ > 0) {
    log(HUB_LOG_ERROR, "its plugin host did not answer within " +
                           std::to_string(std::chrono::duration_cast<std::chrono::seconds>(timeout).count()) + " s; stopping it");
    ::kill(pid_, SIGKILL);
  }
  return answer;
}

hub_status Process::create(Proxy& proxy, const hub_implementation& implementation, const hub_config& config) {
  CreateMessage& message = proxy.create;
  {
    std::lock_guard lock(mutex_);
    message.key = next_key_++;
  }
  proxy.key = message.key;
  message.kind = implementation.kind;
  message.implementation = implementation.name;
  message.id = std::string(config.id.ptr, config.id.len);
  message.json = std::string(config.json.ptr, config.json.len);
  for (size_t i = 0; i < config.entry_count; ++i)
    message.entries.emplace_back(std::string(config.entries[i].key.ptr, config.entries[i].key.len),
                                 std::string(config.entries[i].value.ptr, config.entries[i].value.len));
  const auto answer = call(Message::create, encode(message), Message::created, message.key, kCallTimeout);
  if (!answer) {
    last_error = "its plugin host did not make the instance: " + (problem().empty() ? std::string("no answer") : problem());
    return HUB_UNAVAILABLE;
  }
  CreatedMessage created;
  try {
    created = decode_created(*answer);
  } catch (const WireError& error) {
    last_error = std::string("its plugin host answered with a malformed message: ") + error.what();
    return HUB_INTERNAL;
  }
  if (created.status != HUB_OK) {
    last_error = printable_text(created.message);
    return created.status;
  }
  // The keys it declared in the host are declared here, so the core refuses the others as for any plugin.
  if (created.declaring && HUB_HAS_MEMBER(&config, hub_config, declare_key) && config.declare_key) {
    config.declare_key(config.keys_ctx, {nullptr, 0});
    for (const std::string& key : created.keys) config.declare_key(config.keys_ctx, {key.data(), key.size()});
  }
  std::lock_guard lock(mutex_);
  proxies_[proxy.key] = &proxy;
  return HUB_OK;
}

void Process::destroy(Proxy& proxy) {
  {
    std::lock_guard delivering(delivering_);  // nothing the host sent is on its way to this instance once this returns
    std::lock_guard lock(mutex_);
    proxies_.erase(proxy.key);
    // Reporter contexts are the core's only until destroy returns: the checks still pending are let go.
    std::erase_if(checks_, [&](const auto& entry) { return entry.first >> 40 == proxy.key; });
  }
  send(Message::destroy, encode_key(proxy.key));
}

void Process::check(Proxy& proxy, uint64_t check_id, const hub_probe_target& target, int64_t deadline_us,
                    const hub_probe_reporter& reporter) {
  const int64_t now_us = proxy.host->monotonic_us(proxy.host->host_ctx);
  // Checks are numbered here: the instance in the top bits, so destroy() can let its own go.
  const uint64_t id = (uint64_t{proxy.key} << 40) | (check_id & ((uint64_t{1} << 40) - 1));
  std::vector<hub_probe_reporter> overdue;
  std::string unavailable;
  {
    std::lock_guard lock(mutex_);
    // A host that never reports a check must not grow this table: past its deadline (and a grace) the check is let go.
    for (auto it = checks_.begin(); it != checks_.end();)
      if (it->second.deadline_us + 1'000'000 < now_us) {
        overdue.push_back(it->second.reporter);
        it = checks_.erase(it);
      } else {
        ++it;
      }
    if (running_)
      checks_[id] = {reporter, deadline_us, proxy.host};
    else
      unavailable = problem_.empty() ? "its plugin host is not running" : problem_;
  }
  {
    std::lock_guard delivering(delivering_);
    for (const hub_probe_reporter& late : overdue) report_down(late, "the plugin host did not report the check before its deadline");
    if (!unavailable.empty()) return report_down(reporter, unavailable);
  }
  CheckMessage message{proxy.key,
                       id,
                       std::max<int64_t>(0, deadline_us - now_us),
                       std::string(target.name.ptr, target.name.len),
                       std::string(target.host.ptr, target.host.len),
                       target.port,
                       std::string(target.endpoint.ptr, target.endpoint.len),
                       {}};
  for (size_t i = 0; i < target.attribute_count; ++i)
    message.attributes.emplace_back(std::string(target.attributes[i].key.ptr, target.attributes[i].key.len),
                                    std::string(target.attributes[i].value.ptr, target.attributes[i].value.len));
  if (send(Message::check, encode(message))) return;
  std::lock_guard delivering(delivering_);
  std::unique_lock lock(mutex_);
  if (checks_.erase(id) == 0) return;  // a crash already reported it
  const std::string why = problem_.empty() ? std::string("its plugin host is not running") : problem_;
  lock.unlock();
  report_down(reporter, why);
}

hub_status Process::start(Proxy& proxy, const hub_discovery_sink& sink) {
  {
    std::lock_guard lock(proxy.sink_mutex);
    proxy.sink = sink;
    proxy.started = true;
  }
  const auto answer = call(Message::start, encode_key(proxy.key), Message::started, proxy.key, kCallTimeout);
  ReplyMessage reply{proxy.key, HUB_UNAVAILABLE, "its plugin host did not answer"};
  try {
    if (answer) reply = decode_reply(*answer);
  } catch (const WireError& error) {
    reply.message = error.what();
  }
  if (reply.status == HUB_OK) return HUB_OK;
  std::lock_guard lock(proxy.sink_mutex);
  proxy.started = false;
  last_error = printable_text(reply.message);
  return reply.status;
}

void Process::stop(Proxy& proxy) {
  call(Message::stop, encode_key(proxy.key), Message::stopped, proxy.key, kCallTimeout);
  std::lock_guard lock(proxy.sink_mutex);  // after this, nothing the host sends reaches the sink
  proxy.started = false;
}

hub_liveness_action Process::assess(Proxy& proxy, const hub_liveness_input& input) {
  static std::atomic<uint64_t> requests{1};
  AssessMessage message{proxy.key,
                        requests++,
                        std::string(input.service.ptr, input.service.len),
                        std::string(input.instance_id.ptr, input.instance_id.len),
                        input.status,
                        input.silent_for_us,
                        input.down_for_us};
  const auto answer = call(Message::assess, encode(message), Message::assessed, message.request, kAssessTimeout);
  try {
    if (answer) return decode_assessed(*answer).action;
  } catch (const WireError&) {
  }
  return HUB_LIVENESS_KEEP;  // no answer: nobody's status changes on a host's silence
}

// ------------------------------------------------------------------ the supervisor

void Process::supervise() {
  for (bool first = true;; first = false) {
    std::thread reader([this] { read_frames(); });
    std::string why;
    if (!first && !recreate(why)) {
      log(HUB_LOG_ERROR, "its plugin host could not make its instances again: " + why);
      std::lock_guard lock(mutex_);
      if (pid_ > 0) ::kill(pid_, SIGKILL);
    }
    reader.join();
    const std::string ended = reap();
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return;
    }
    crashed(why.empty() ? ended : why);
    for (;;) {  // start another, with backoff, until one describes itself or the hub stops
      Clock::duration wait;
      {
        std::lock_guard lock(mutex_);
        wait = std::min<Clock::duration>(kLongestBackoff, kFirstBackoff * (1 << std::min(crashes_in_a_row_ - 1, 10)));
      }
      std::unique_lock lock(mutex_);
      if (changed_.wait_for(lock, wait, [&] { return stopping_; })) return;
      lock.unlock();
      try {
        spawn();
        (void)read_descriptor();
        std::lock_guard state(mutex_);
        connected_ = true;
        break;
      } catch (const std::exception& error) {
        const std::string failed = error.what();
        reap();
        crashed(failed);
      }
    }
  }
}

bool Process::recreate(std::string& why) {
  std::vector<Proxy*> proxies;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [key, proxy] : proxies_) proxies.push_back(proxy);
  }
  for (Proxy* proxy : proxies) {
    const auto created = call(Message::create, encode(proxy->create), Message::created, proxy->key, kCallTimeout);
    try {
      if (!created || decode_created(*created).status != HUB_OK) {
        why = "instance '" + proxy->create.id + "' was not made again" + (created ? ": " + decode_created(*created).message : "");
        return false;
      }
    } catch (const WireError& error) {
      why = error.what();
      return false;
    }
    bool started;
    {
      std::lock_guard lock(proxy->sink_mutex);
      started = proxy->started;
    }
    if (started && !call(Message::start, encode_key(proxy->key), Message::started, proxy->key, kCallTimeout)) {
      why = "source '" + proxy->create.id + "' did not start again";
      return false;
    }
  }
  std::lock_guard lock(mutex_);
  running_ = true;
  started_at_ = Clock::now();
  history_ = "restarted " + std::to_string(restarts_) + " time(s); the last crash: " + problem_;
  problem_.clear();
  log(HUB_LOG_INFO, "its plugin host runs again (" + history_ + ")");
  return true;
}

void Process::read_frames() {
  try {
    while (auto frame = reader_->next()) dispatch(*frame);
  } catch (const WireError& error) {
    log(HUB_LOG_ERROR, std::string("its plugin host broke the protocol, stopping it: ") + error.what());
    std::lock_guard lock(mutex_);
    if (pid_ > 0) ::kill(pid_, SIGKILL);
  }
}

void Process::dispatch(const Frame& frame) {
  switch (frame.type) {
    case Message::created:
    case Message::started:
    case Message::stopped:
    case Message::assessed: {
      const uint64_t id = frame.type == Message::assessed  ? decode_assessed(frame.body).request
                          : frame.type == Message::created ? decode_created(frame.body).key
                                                           : decode_reply(frame.body).key;
      std::lock_guard lock(mutex_);
      if (auto found = replies_.find({frame.type, id}); found != replies_.end()) found->second = frame.body;  // else: nobody waits
      changed_.notify_all();
      return;
    }
    case Message::report: {
      const ReportMessage report = decode_report(frame.body);
      std::lock_guard delivering(delivering_);
      std::optional<PendingCheck> pending;
      {
        std::lock_guard lock(mutex_);
        if (auto found = checks_.find(report.check_id); found != checks_.end()) {
          pending = found->second;
          checks_.erase(found);
        }
      }
      if (!pending) return;  // late, or let go
      const std::string message = report.refused ? "the probe refused the check: " + report.message : report.message;
      const hub_probe_result result{
          sizeof(hub_probe_result), report.refused ? HUB_HEALTH_DOWN : report.status, report.latency_us, {message.data(), message.size()}};
      pending->reporter.report(pending->reporter.reporter_ctx, &result);
      return;
    }
    case Message::snapshot:
    case Message::upsert:
    case Message::remove: {
      std::lock_guard delivering(delivering_);
      return deliver(frame);
    }
    case Message::log:
    case Message::metric: {
      const uint32_t key = frame.type == Message::log ? decode_log(frame.body).key : decode_metric(frame.body).key;
      std::lock_guard delivering(delivering_);
      const hub_host* host = nullptr;
      {
        std::lock_guard lock(mutex_);
        if (auto found = proxies_.find(key); found != proxies_.end()) host = found->second->host;
      }
      if (!host) return;
      if (frame.type == Message::log) {
        const LogMessage line = decode_log(frame.body);
        host->log(host->host_ctx, std::clamp(line.level, HUB_LOG_TRACE, HUB_LOG_ERROR), {line.message.data(), line.message.size()});
        return;
      }
      const MetricMessage metric = decode_metric(frame.body);
      const hub_str name{metric.name.data(), metric.name.size()};
      if (metric.type == 0) host->counter_add(host->host_ctx, name, metric.value);
      if (metric.type == 1) host->gauge_set(host->host_ctx, name, metric.value);
      if (metric.type == 2) host->histogram_observe(host->host_ctx, name, metric.value);
      return;
    }
    default:
      throw WireError("the plugin host sent a message the hub does not take (" + std::to_string(static_cast<int>(frame.type)) + ")");
  }
}

// A source's instances reach its sink, unless it was stopped.
void Process::deliver(const Frame& frame) {
  const InstancesMessage message = decode_instances(frame.body);
  Proxy* proxy = nullptr;
  {
    std::lock_guard lock(mutex_);
    if (auto found = proxies_.find(message.key); found != proxies_.end()) proxy = found->second;
  }
  if (!proxy) return;
  std::lock_guard lock(proxy->sink_mutex);
  if (!proxy->started) return;
  if (frame.type == Message::remove) {
    if (message.records.size() != 1) throw WireError("a remove names one instance");
    const RecordMessage& gone = message.records.front();
    return proxy->sink.remove(proxy->sink.sink_ctx, {gone.service.data(), gone.service.size()},
                              {gone.instance_id.data(), gone.instance_id.size()});
  }
  std::vector<std::vector<hub_str>> tags(message.records.size());
  std::vector<hub_instance_record> records;
  for (size_t i = 0; i < message.records.size(); ++i) {
    const RecordMessage& r = message.records[i];
    for (const std::string& tag : r.tags) tags[i].push_back({tag.data(), tag.size()});
    records.push_back({sizeof(hub_instance_record),
                       {r.service.data(), r.service.size()},
                       {r.instance_id.data(), r.instance_id.size()},
                       {r.host.data(), r.host.size()},
                       r.port,
                       {r.protocol.data(), r.protocol.size()},
                       {r.health_endpoint.data(), r.health_endpoint.size()},
                       {r.version.data(), r.version.size()},
                       r.weight,
                       tags[i].data(),
                       tags[i].size(),
                       {r.metadata_json.data(), r.metadata_json.size()}});
  }
  if (frame.type == Message::snapshot) return proxy->sink.snapshot(proxy->sink.sink_ctx, records.data(), records.size());
  if (records.size() != 1) throw WireError("an upsert carries one instance");
  proxy->sink.upsert(proxy->sink.sink_ctx, &records.front());
}

// Waits for the host to end (killing it after a grace) and says how it ended.
std::string Process::reap() {
  pid_t pid;
  int fd;
  {
    std::lock_guard lock(mutex_);
    connected_ = running_ = false;
    ++incarnation_;
    pid = pid_;
    fd = fd_;
    pid_ = -1;
    fd_ = -1;
  }
  changed_.notify_all();
  {
    std::lock_guard sending(send_mutex_);
    if (fd >= 0) ::close(fd);
  }
  if (pid <= 0) return "the plugin host was not running";
  int status = 0;
  const auto deadline = Clock::now() + kExitGrace;
  while (::waitpid(pid, &status, WNOHANG) == 0) {
    if (Clock::now() >= deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));  // polling a child's exit, bounded by the grace
  }
  return describe_exit(status);
}

// Fails what waited on the host, and says so: the log, a plugin.crashed event, a metric.
void Process::crashed(const std::string& why) {
  std::vector<hub_probe_reporter> pending;
  const std::string message = "plugin crashed: " + printable_text(why);
  int restarts;
  {
    std::lock_guard lock(mutex_);
    crashes_in_a_row_ = Clock::now() - started_at_ >= kStableRun ? 1 : crashes_in_a_row_ + 1;
    restarts = ++restarts_;
    problem_ = message + "; restarting";
    for (auto& [id, check] : checks_) pending.push_back(check.reporter);
    checks_.clear();
  }
  changed_.notify_all();
  // The cause first (log, metric, plugin.crashed), then its effects: the checks it took down.
  log(HUB_LOG_ERROR, message + "; its host is started again (restart " + std::to_string(restarts) + ")");
  if (services_.metrics) {
    services_.metrics->describe("hub_plugin_crashes_total", Metrics::Type::counter, "Plugin host processes that crashed, by library.");
    services_.metrics->counter_add("hub_plugin_crashes_total", 1, {{"library", name_}});
  }
  if (services_.publish)
    services_.publish("plugin.crashed", "{\"library\":" + json_quote(name_) + ",\"file\":" + json_quote(library_.string()) +
                                            ",\"message\":" + json_quote(message) + ",\"restarts\":" + std::to_string(restarts) + "}");
  std::lock_guard delivering(delivering_);
  for (const hub_probe_reporter& reporter : pending) report_down(reporter, message);
}

}  // namespace

std::filesystem::path plugin_host_program() {
  namespace fs = std::filesystem;
  if (const char* given = std::getenv("HUB_PLUGIN_HOST"); given && *given) return given;
  std::vector<fs::path> candidates;
  Dl_info info{};
  if (::dladdr(reinterpret_cast<void*>(&plugin_host_program), &info) && info.dli_fname) {
    const fs::path here = fs::absolute(info.dli_fname).parent_path();
    candidates = {here / "hub-plugin-host", (here / HUB_PLUGIN_HOST_FROM_LIBDIR / "hub-plugin-host").lexically_normal()};
  }
  for (const fs::path& candidate : candidates)
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  std::string tried;
  for (const fs::path& candidate : candidates) tried += (tried.empty() ? "" : ", ") + candidate.string();
  throw PluginError("isolation: process needs the hub-plugin-host program; it is not at " + (tried.empty() ? "(unknown)" : tried) +
                    " (set HUB_PLUGIN_HOST to its path)");
}

std::shared_ptr<PluginProcess> PluginProcess::start(const std::filesystem::path& library, HostServices services) {
  auto process = std::make_shared<Process>(library, std::move(services));
  process->launch();
  std::lock_guard lock(registry_mutex);
  for (size_t i = 0; i < process->descriptor().implementation_count; ++i) registry[&process->descriptor().implementations[i]] = process;
  return process;
}

}  // namespace hub::isolation
