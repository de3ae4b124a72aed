#include "abi_views.hpp"
#include "basics/printable_text.hpp"
#include "creating_implementation.hpp"
#include "kinds.hpp"

#include <hub/errors.hpp>
#include "plugin_instance.hpp"

#include <cctype>
#include <mutex>
#include <set>

namespace hub {

namespace {
thread_local const hub_implementation* being_created = nullptr;
}  // namespace

const hub_implementation* implementation_being_created() {
  return being_created;
}

// The keys a plugin declares it reads (ABI 1.1's hub_config.declare_key). It lives as long as the
// instance, and only calls during create() count, so a late call is harmless.
struct DeclaredKeys {
  std::mutex mutex;
  bool open = true;
  bool declaring = false;
  std::set<std::string, std::less<>> keys;

  static void declare(void* context, hub_str key) {
    auto& self = *static_cast<DeclaredKeys*>(context);
    std::lock_guard lock(self.mutex);
    if (!self.open) return;
    if (key.len == 0)
      self.declaring = true;
    else if (self.keys.size() < 100'000)
      self.keys.emplace(key.ptr, key.len);
  }
  // The entries of `config` the plugin did not declare, when it declares its keys.
  std::vector<std::string> unknown(const PluginConfig& config) {
    std::lock_guard lock(mutex);
    open = false;
    std::vector<std::string> found;
    if (!declaring) return found;
    for (const auto& [key, value] : config.entries)
      if (!keys.count(key)) found.push_back(key);
    return found;
  }
  // What may stand where `key` does: the declared names under the same parent ("instances.0").
  std::string expected_beside(const std::string& key) {
    std::lock_guard lock(mutex);
    const size_t dot = key.rfind('.');
    const std::string parent = dot == std::string::npos ? "" : key.substr(0, dot + 1);
    std::set<std::string> names;
    for (const std::string& declared : keys)
      if (declared.starts_with(parent)) names.insert(declared.substr(parent.size(), declared.find('.', parent.size()) - parent.size()));
    std::string list;
    for (const std::string& name : names)
      if (!name.empty() && !std::isdigit(static_cast<unsigned char>(name[0]))) list += (list.empty() ? "" : ", ") + name;
    return list.empty() ? "none" : list;
  }
};

// The hub_host a plugin receives, and what its functions reach.
struct PluginInstance::HostTable {
  hub_host table{};
  std::string id;
  HostServices services;
  DeclaredKeys declared_keys;
  std::mutex described_mutex;
  std::set<std::string> described;  // families this instance has given a HELP line

  // "<id>_<name>", a counter ending in _total as Prometheus expects; described on first use.
  std::string metric(hub_str name, Metrics::Type type) {
    std::string family = metric_name(id + "_" + std::string(name.ptr, name.len));
    if (type == Metrics::Type::counter && !family.ends_with("_total")) family += "_total";
    std::lock_guard lock(described_mutex);
    if (described.size() < Metrics::kMaxSeries && described.insert(family).second)
      services.metrics->describe(family, type, "Reported by plugin instance '" + id + "'.");
    return family;
  }
  static HostTable& of(void* context) { return *static_cast<HostTable*>(context); }

  static void log(void* context, hub_log_level level, hub_str message) {
    HostTable& self = of(context);
    if (self.services.log) self.services.log(self.id, level, std::string_view(message.ptr, message.len));
  }
  static void counter_add(void* context, hub_str name, double delta) {
    of(context).services.metrics->counter_add(of(context).metric(name, Metrics::Type::counter), delta);
  }
  static void gauge_set(void* context, hub_str name, double value) {
    of(context).services.metrics->gauge_set(of(context).metric(name, Metrics::Type::gauge), value);
  }
  static void observe(void* context, hub_str name, double value) {
    of(context).services.metrics->observe(of(context).metric(name, Metrics::Type::summary), value);
  }
  static int64_t now_unix_us(void* context) { return of(context).services.clock->now_unix_us(); }
  static int64_t monotonic_us(void* context) { return of(context).services.clock->monotonic_us(); }
};

PluginInstance::PluginInstance(std::shared_ptr<const PluginLibrary> library, const hub_implementation& implementation, std::string id,
                               HostServices services)
    : library_(std::move(library)), implementation_(&implementation), id_(std::move(id)), host_(std::make_unique<HostTable>()) {
  if (!services.clock) services.clock = std::make_shared<SystemClock>();
  if (!services.metrics) services.metrics = std::make_shared<Metrics>();
  host_->id = id_;
  host_->services = std::move(services);
  host_->table = hub_host{sizeof(hub_host),    HUB_PLUGIN_ABI_VERSION,  host_.get(),
                          &HostTable::log,     &HostTable::counter_add, &HostTable::gauge_set,
                          &HostTable::observe, &HostTable::now_unix_us, &HostTable::monotonic_us};
}

std::unique_ptr<PluginInstance> PluginInstance::create(std::shared_ptr<const PluginLibrary> library,
                                                       const hub_implementation& implementation, std::string id, const PluginConfig& config,
                                                       HostServices services) {
  std::unique_ptr<PluginInstance> instance(new PluginInstance(std::move(library), implementation, std::move(id), std::move(services)));
  const std::vector<hub_kv> entries = kv_views(config.entries);
  const hub_config raw{sizeof(hub_config), str_view(instance->id_),         str_view(config.json), entries.data(),
                       entries.size(),     &instance->host_->declared_keys, &DeclaredKeys::declare};
  const auto& common = instance->vtable<hub_vtable_header>();
  void* handle = nullptr;
  being_created = &implementation;
  hub_status status = common.create(&instance->host_->table, &raw, &handle);
  being_created = nullptr;
  if (status != HUB_OK) {
    const char* message = common.get_last_error(nullptr);
    throw PluginError("plugin " + instance->library_->file() + ": implementation '" + implementation.name + "' (" +
                      kind_name(implementation.kind) + ") as '" + instance->id_ + "' failed to initialize: " +
                      (message && *message ? printable_text(message) : "no message") + " (status " + std::to_string(status) + ")");
  }
  instance->handle_ = handle;
  if (const std::vector<std::string> unknown = instance->host_->declared_keys.unknown(config); !unknown.empty()) {
    const std::string& key = unknown.front();
    auto where = config.where.find(key);
    throw ManifestError((where == config.where.end() ? std::string("<plugin config>") : where->second) + ": " + config.path + "." + key +
                        ": unknown key for implementation '" + implementation.name + "' (expected one of: " +
                        instance->host_->declared_keys.expected_beside(key) + ")");  // ~PluginInstance destroys the handle
  }
  return instance;
}

PluginInstance::~PluginInstance() {
  if (handle_) vtable<hub_vtable_header>().destroy(handle_);
}

const hub_host& PluginInstance::host_table() const {
  return host_->table;
}

std::string PluginInstance::last_error() const {
  const char* message = vtable<hub_vtable_header>().get_last_error(handle_);
  return message ? printable_text(message) : "";
}

}  // namespace hub
