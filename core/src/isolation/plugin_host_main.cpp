// hub-plugin-host: one plugin library, run out of the hub's process
// (isolation: process in a manifest). The hub starts it as
//   hub-plugin-host --socket FD --library PATH
// and speaks messages.hpp on FD. The host loads the library as the hub would,
// makes its instances, calls their hooks (checks on threads of its own, so a
// hung check holds a host thread, never a hub one), forwards what they report,
// log and measure, and exits when the hub closes the socket. A crash here is a
// crash of this process alone: the hub reports it and starts another.
#include "messages.hpp"

#include <hub/errors.hpp>
#include "plugin_host/plugin_loader.hpp"

#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

namespace {

using namespace hub::isolation;

// The socket to the hub; plugins report from any thread.
class Link {
 public:
  explicit Link(int fd) : fd_(fd) {}
  void send(Message type, const Writer& body) {
    std::lock_guard lock(mutex_);
    if (!send_frame(fd_, type, body)) std::_Exit(0);  // the hub has gone: so do we
  }
  int fd() const { return fd_; }

 private:
  int fd_;
  std::mutex mutex_;
};

Link* link_to_hub = nullptr;

int64_t steady_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}
int64_t unix_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}
std::string text(hub_str view) {
  return view.len ? std::string(view.ptr, view.len) : std::string();
}

// One instance made here: its handle, the host table it calls, the keys it declared.
struct Instance {
  uint32_t key = 0;
  const hub_implementation* implementation = nullptr;
  void* handle = nullptr;
  hub_host host{};
  hub_discovery_sink sink{};
  bool declaring = false;
  std::set<std::string> declared;
  std::atomic<int> checks_running{0};
};

// The host table's functions: each call becomes a message to the hub.
void host_log(void* context, hub_log_level level, hub_str message) {
  link_to_hub->send(Message::log, encode(LogMessage{static_cast<Instance*>(context)->key, level, text(message)}));
}
void host_metric(void* context, uint8_t type, hub_str name, double value) {
  link_to_hub->send(Message::metric, encode(MetricMessage{static_cast<Instance*>(context)->key, type, text(name), value}));
}
void host_counter(void* context, hub_str name, double delta) {
  host_metric(context, 0, name, delta);
}
void host_gauge(void* context, hub_str name, double value) {
  host_metric(context, 1, name, value);
}
void host_observe(void* context, hub_str name, double value) {
  host_metric(context, 2, name, value);
}
int64_t host_now(void*) {
  return unix_us();
}
int64_t host_monotonic(void*) {
  return steady_us();
}

void declare_key(void* context, hub_str key) {
  auto& instance = *static_cast<Instance*>(context);
  if (key.len == 0)
    instance.declaring = true;
  else if (instance.declared.size() < 100'000)
    instance.declared.insert(text(key));
}

RecordMessage record_of(const hub_instance_record& raw) {
  RecordMessage record;
  record.service = text(raw.service);
  record.instance_id = text(raw.instance_id);
  record.host = text(raw.host);
  record.port = raw.port;
  if (HUB_HAS_MEMBER(&raw, hub_instance_record, protocol)) record.protocol = text(raw.protocol);
  if (HUB_HAS_MEMBER(&raw, hub_instance_record, health_endpoint)) record.health_endpoint = text(raw.health_endpoint);
  if (HUB_HAS_MEMBER(&raw, hub_instance_record, version)) record.version = text(raw.version);
  if (HUB_HAS_MEMBER(&raw, hub_instance_record, weight)) record.weight = raw.weight;
  if (HUB_HAS_MEMBER(&raw, hub_instance_record, tag_count) && raw.tags)
    for (size_t i = 0; i < raw.tag_count && i < kMaxListItems; ++i) record.tags.push_back(text(raw.tags[i]));
  if (HUB_HAS_MEMBER(&raw, hub_instance_record, metadata_json)) record.metadata_json = text(raw.metadata_json);
  return record;
}

// What a discovery source delivers goes to the hub as it comes.
void sink_snapshot(void* context, const hub_instance_record* records, size_t count) {
  InstancesMessage message{static_cast<Instance*>(context)->key, {}};
  for (size_t i = 0; i < count && i < kMaxListItems; ++i) message.records.push_back(record_of(records[i]));
  link_to_hub->send(Message::snapshot, encode(message));
}
void sink_upsert(void* context, const hub_instance_record* record) {
  link_to_hub->send(Message::upsert, encode(InstancesMessage{static_cast<Instance*>(context)->key, {record_of(*record)}}));
}
void sink_remove(void* context, hub_str service, hub_str instance_id) {
  RecordMessage removed;
  removed.service = text(service);
  removed.instance_id = text(instance_id);
  link_to_hub->send(Message::remove, encode(InstancesMessage{static_cast<Instance*>(context)->key, {removed}}));
}

// A check's reporter context: reported once, then freed.
struct PendingReport {
  uint64_t check_id;
  Instance* instance;
};
void report(void* context, const hub_probe_result* result) {
  std::unique_ptr<PendingReport> pending(static_cast<PendingReport*>(context));
  ReportMessage message{pending->check_id, false, result->status, 0, {}};
  if (HUB_HAS_MEMBER(result, hub_probe_result, latency_us)) message.latency_us = result->latency_us;
  if (HUB_HAS_MEMBER(result, hub_probe_result, message)) message.message = text(result->message);
  link_to_hub->send(Message::report, encode(message));
}

// Checks run on a bounded set of threads: a synchronous probe blocks in check().
class CheckPool {
 public:
  static constexpr size_t kThreads = 64;
  static constexpr size_t kQueued = 4096;

  void submit(std::function<void()> job, const std::function<void()>& refuse) {
    {
      std::lock_guard lock(mutex_);
      if (queue_.size() >= kQueued) return refuse();
      queue_.push_back(std::move(job));
      // An idle thread takes one job; jobs queued faster than idle threads wake would otherwise wait
      // behind one that hangs.
      if (queue_.size() > idle_ && threads_ < kThreads) {
        std::thread([this] { work(); }).detach();  // they end with the process, which ends with _Exit
        ++threads_;
      }
    }
    wake_.notify_one();
  }

 private:
  void work() {
    std::unique_lock lock(mutex_);
    for (;;) {
      ++idle_;
      wake_.wait(lock, [&] { return !queue_.empty(); });
      --idle_;
      auto job = std::move(queue_.front());
      queue_.pop_front();
      lock.unlock();
      job();
      lock.lock();
    }
  }
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> queue_;
  size_t threads_ = 0;
  size_t idle_ = 0;
};

class Host {
 public:
  Host(Link& link, std::shared_ptr<const hub::PluginLibrary> library) : link_(link), library_(std::move(library)) {}

  void serve() {
    FrameReader reader(link_.fd());
    while (auto frame = reader.next()) handle(*frame);
  }

 private:
  void handle(const Frame& frame) {
    switch (frame.type) {
      case Message::create:
        return create(decode_create(frame.body));
      case Message::destroy:
        return destroy(decode_key(frame.body));
      case Message::check:
        return check(decode_check(frame.body));
      case Message::start:
        return start(decode_key(frame.body));
      case Message::stop:
        return stop(decode_key(frame.body));
      case Message::assess:
        return assess(decode_assess(frame.body));
      default:
        throw WireError("the hub sent a message a host does not take (" + std::to_string(static_cast<int>(frame.type)) + ")");
    }
  }

  Instance* find(uint32_t key) {
    auto found = instances_.find(key);
    return found == instances_.end() ? nullptr : found->second.get();
  }
  template <class VTable>
  static const VTable& vtable(const Instance& instance) {
    return *static_cast<const VTable*>(instance.implementation->vtable);
  }

  void create(const CreateMessage& message) {
    CreatedMessage reply{message.key, HUB_OK, {}, false, {}};
    const hub_implementation* implementation = library_->find(message.implementation, message.kind);
    if (!implementation) {
      reply.status = HUB_NOT_FOUND;
      reply.message = "the library has no implementation '" + message.implementation + "'";
      return link_.send(Message::created, encode(reply));
    }
    auto instance = std::make_unique<Instance>();
    instance->key = message.key;
    instance->implementation = implementation;
    instance->host = hub_host{sizeof(hub_host), HUB_PLUGIN_ABI_VERSION, instance.get(), &host_log,      &host_counter,
                              &host_gauge,      &host_observe,          &host_now,      &host_monotonic};
    std::vector<hub_kv> entries;
    for (const auto& [key, value] : message.entries) entries.push_back({{key.data(), key.size()}, {value.data(), value.size()}});
    const hub_config config{sizeof(hub_config),
                            {message.id.data(), message.id.size()},
                            {message.json.data(), message.json.size()},
                            entries.data(),
                            entries.size(),
                            instance.get(),
                            &declare_key};
    const auto& common = vtable<hub_health_probe_vtable>(*instance);  // every vtable starts with create, destroy, get_last_error
    reply.status = common.create(&instance->host, &config, &instance->handle);
    if (reply.status != HUB_OK) {
      const char* why = common.get_last_error(nullptr);
      reply.message = why && *why ? why : "no message";
      return link_.send(Message::created, encode(reply));
    }
    reply.declaring = instance->declaring;
    reply.keys.assign(instance->declared.begin(), instance->declared.end());
    instances_[message.key] = std::move(instance);
    link_.send(Message::created, encode(reply));
  }

  void destroy(uint32_t key) {
    Instance* instance = find(key);
    if (!instance) return;
    // A check still inside the plugin holds the instance: leave it rather than free it under that thread.
    for (int waited = 0; instance->checks_running > 0 && waited < 50; ++waited) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    if (instance->checks_running > 0) return (void)instances_.at(key).release();
    vtable<hub_health_probe_vtable>(*instance).destroy(instance->handle);
    instances_.erase(key);
  }

  void check(const CheckMessage& message) {
    Instance* instance = find(message.key);
    const auto refuse = [this, id = message.check_id](const std::string& why) {
      link_.send(Message::report, encode(ReportMessage{id, true, HUB_HEALTH_DOWN, 0, why}));
    };
    if (!instance || instance->implementation->kind != HUB_KIND_HEALTH_PROBE) return refuse("no such probe instance in the plugin host");
    ++instance->checks_running;
    pool_.submit(
        [instance, message, refuse] {
          std::vector<hub_kv> attributes;
          for (const auto& [key, value] : message.attributes)
            attributes.push_back({{key.data(), key.size()}, {value.data(), value.size()}});
          const hub_probe_target target{sizeof(hub_probe_target),
                                        {message.name.data(), message.name.size()},
                                        {message.host.data(), message.host.size()},
                                        message.port,
                                        {message.endpoint.data(), message.endpoint.size()},
                                        attributes.data(),
                                        attributes.size()};
          auto* pending = new PendingReport{message.check_id, instance};
          const hub_probe_reporter reporter{sizeof(hub_probe_reporter), pending, &report};
          const auto& probe = vtable<hub_health_probe_vtable>(*instance);
          const hub_status status = probe.check(instance->handle, message.check_id, &target, steady_us() + message.timeout_us, &reporter);
          if (status != HUB_OK) {
            delete pending;  // refused: nothing will be reported
            const char* why = probe.get_last_error(instance->handle);
            refuse(std::string("the probe refused the check: ") + (why && *why ? why : "no message"));
          }
          --instance->checks_running;
        },
        [&] {
          --instance->checks_running;
          refuse("the plugin host has " + std::to_string(CheckPool::kQueued) + " checks waiting for a thread");
        });
  }

  void start(uint32_t key) {
    ReplyMessage reply{key, HUB_NOT_FOUND, "no such discovery instance in the plugin host"};
    if (Instance* instance = find(key); instance && instance->implementation->kind == HUB_KIND_DISCOVERY) {
      instance->sink = hub_discovery_sink{sizeof(hub_discovery_sink), instance, &sink_snapshot, &sink_upsert, &sink_remove};
      const auto& discovery = vtable<hub_discovery_vtable>(*instance);
      reply.status = discovery.start(instance->handle, &instance->sink);
      reply.message.clear();
      if (reply.status != HUB_OK) {
        const char* why = discovery.get_last_error(instance->handle);
        reply.message = why && *why ? why : "no message";
      }
    }
    link_.send(Message::started, encode(reply));
  }

  void stop(uint32_t key) {
    if (Instance* instance = find(key); instance && instance->implementation->kind == HUB_KIND_DISCOVERY)
      vtable<hub_discovery_vtable>(*instance).stop(instance->handle);
    link_.send(Message::stopped, encode(ReplyMessage{key, HUB_OK, {}}));
  }

  void assess(const AssessMessage& message) {
    AssessedMessage reply{message.request, HUB_LIVENESS_KEEP};
    Instance* instance = find(message.key);
    if (instance && instance->implementation->kind == HUB_KIND_DISCOVERY) {
      const auto& discovery = vtable<hub_discovery_vtable>(*instance);
      if (HUB_HAS_MEMBER(&discovery, hub_discovery_vtable, assess_liveness) && discovery.assess_liveness) {
        const hub_liveness_input input{sizeof(hub_liveness_input),
                                       {message.service.data(), message.service.size()},
                                       {message.instance_id.data(), message.instance_id.size()},
                                       message.status,
                                       message.silent_for_us,
                                       message.down_for_us};
        reply.action = discovery.assess_liveness(instance->handle, &input);
      }
    }
    link_.send(Message::assessed, encode(reply));
  }

  Link& link_;
  std::shared_ptr<const hub::PluginLibrary> library_;
  std::map<uint32_t, std::unique_ptr<Instance>> instances_;
  CheckPool pool_;
};

DescriptorMessage describe(const hub::PluginLibrary& library) {
  DescriptorMessage message{library.name(), library.version(), library.description(), library.abi_version(), {}};
  const hub_plugin_descriptor& descriptor = library.descriptor();
  for (size_t i = 0; i < descriptor.implementation_count; ++i) {
    const hub_implementation& implementation = descriptor.implementations[i];
    bool liveness = false;
    if (implementation.kind == HUB_KIND_DISCOVERY) {
      const auto& vtable = *static_cast<const hub_discovery_vtable*>(implementation.vtable);
      liveness = HUB_HAS_MEMBER(&vtable, hub_discovery_vtable, assess_liveness) && vtable.assess_liveness;
    }
    message.implementations.push_back({implementation.kind, implementation.name, liveness});
  }
  return message;
}

}  // namespace

int main(int argc, char** argv) {
  int fd = -1;
  std::string library_path;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--socket") == 0) fd = std::atoi(argv[i + 1]);
    if (std::strcmp(argv[i], "--library") == 0) library_path = argv[i + 1];
  }
  if (fd < 0 || library_path.empty()) {
    std::cerr << "usage: hub-plugin-host --socket FD --library PATH (started by the hub for isolation: process)\n";
    return 2;
  }
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // the hub gone, the host goes too
  std::signal(SIGPIPE, SIG_IGN);
  Link link(fd);
  link_to_hub = &link;
  std::shared_ptr<const hub::PluginLibrary> library;
  try {
    hub::PluginLoader loader;
    library = loader.load(library_path);
  } catch (const std::exception& error) {
    link.send(Message::load_failed, encode_text(error.what()));
    return 3;
  }
  link.send(Message::descriptor, encode(describe(*library)));
  // Never destroyed: a check thread may still be inside a plugin when the hub leaves, and the process ends at once.
  auto* host = new Host(link, library);
  try {
    host->serve();
  } catch (const std::exception& error) {
    std::cerr << "hub-plugin-host " << library_path << ": " << error.what() << "\n";
    std::_Exit(4);
  }
  std::_Exit(0);  // the hub closed the socket; threads stuck in a plugin end with the process
}
