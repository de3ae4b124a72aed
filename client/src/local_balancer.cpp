#include "local_balancer.hpp"

#include "load_balancer_plugin.hpp"

#include <chrono>
#include <stdexcept>

namespace hub::client {

namespace {

int64_t monotonic_us(void*) {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}
int64_t unix_us(void*) {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// The host a strategy sees in the client: clocks, and nowhere to log or count.
const hub_host kHost{sizeof(hub_host),
                     HUB_PLUGIN_ABI_VERSION,
                     nullptr,
                     [](void*, hub_log_level, hub_str) {},
                     [](void*, hub_str, double) {},
                     [](void*, hub_str, double) {},
                     [](void*, hub_str, double) {},
                     &unix_us,
                     &monotonic_us};

uint64_t hash_of(const std::string& key) {  // the hub's: FNV-1a, so a key picks alike in both places
  uint64_t hash = 14695981039346656037ull;
  for (unsigned char c : key) hash = (hash ^ c) * 1099511628211ull;
  return hash;
}

hub_str view(const std::string& text) {
  return {text.data(), text.size()};
}

struct Figures {
  int64_t in_flight = 0;
  double latency_us = -1;
};

}  // namespace

struct LocalBalancer::Service {
  std::mutex mutex;  // the ABI: update_candidates never beside pick; the figures
  const hub_load_balancer_vtable* vtable = nullptr;
  void* handle = nullptr;
  std::vector<LocalInstance> candidates;
  std::chrono::steady_clock::time_point fetched_at;
  std::map<std::string, Figures> figures;  // by instance id

  ~Service() {
    if (handle) vtable->destroy(handle);
  }
};

LocalBalancer::LocalBalancer(std::string strategy, std::map<std::string, std::string> config, std::chrono::milliseconds refresh,
                             Fetch fetch)
    : strategy_(std::move(strategy)), config_(std::move(config)), refresh_(refresh), fetch_(std::move(fetch)) {
  const hub_plugin_descriptor* plugin = load_balancer_plugin(HUB_PLUGIN_ABI_VERSION);
  for (size_t i = 0; i < plugin->implementation_count; ++i)
    if (plugin->implementations[i].kind == HUB_KIND_LOAD_BALANCER && strategy_ == plugin->implementations[i].name)
      vtable_ = static_cast<const hub_load_balancer_vtable*>(plugin->implementations[i].vtable);
  if (!vtable_) throw std::invalid_argument("local_strategy: '" + strategy_ + "' is not one of the load-balancer plugin's");
  vtable_->destroy(create("local"));  // its config is checked now, not at the first pick
}

void* LocalBalancer::create(const std::string& id) const {
  std::vector<hub_kv> entries;
  for (const auto& [key, value] : config_) entries.push_back({view(key), view(value)});
  static const std::string kNoJson = "{}";  // the strategies read the flattened entries
  const hub_config config{sizeof(hub_config), view(id), view(kNoJson), entries.data(), entries.size(), nullptr, nullptr};
  void* handle = nullptr;
  if (vtable_->create(&kHost, &config, &handle) != HUB_OK)
    throw std::invalid_argument("local_strategy_config: '" + strategy_ + "' refused it: " + vtable_->get_last_error(nullptr));
  return handle;
}

LocalBalancer::~LocalBalancer() = default;

std::shared_ptr<LocalBalancer::Service> LocalBalancer::fresh(const std::string& name) {
  std::shared_ptr<Service> service;
  {
    std::lock_guard lock(mutex_);
    std::shared_ptr<Service>& slot = services_[name];
    if (!slot) {
      slot = std::make_shared<Service>();
      slot->vtable = vtable_;
      try {
        slot->handle = create("local/" + name);
      } catch (...) {
        services_.erase(name);
        throw;
      }
    }
    service = slot;
  }
  std::lock_guard lock(service->mutex);
  const auto now = std::chrono::steady_clock::now();
  if (service->fetched_at != std::chrono::steady_clock::time_point{} && now - service->fetched_at < refresh_) return service;
  std::vector<LocalInstance> all = fetch_(name);  // throws: the last list stands until the hub answers
  bool any_healthy = false;
  for (const LocalInstance& instance : all) any_healthy |= instance.healthy;
  service->candidates.clear();
  for (LocalInstance& instance : all)
    if (instance.healthy == any_healthy) service->candidates.push_back(std::move(instance));
  std::vector<hub_lb_candidate> views;
  for (const LocalInstance& instance : service->candidates)
    views.push_back({sizeof(hub_lb_candidate), view(instance.instance_id), view(instance.host), instance.port, instance.weight,
                     instance.healthy ? HUB_HEALTH_HEALTHY : HUB_HEALTH_DEGRADED, -1, -1, 0});
  if (service->vtable->update_candidates(service->handle, views.data(), views.size()) != HUB_OK)
    throw std::runtime_error("local strategy '" + strategy_ + "' refused the instances of " + name + ": " +
                             service->vtable->get_last_error(service->handle));
  service->fetched_at = now;
  return service;
}

std::optional<LocalInstance> LocalBalancer::pick(const std::string& name, const std::string& key) {
  std::shared_ptr<Service> service = fresh(name);
  std::lock_guard lock(service->mutex);
  if (service->candidates.empty()) return std::nullopt;
  struct Context {
    Service* service;
  } context{service.get()};
  const hub_lb_live live{sizeof(hub_lb_live), &context, [](void* raw, size_t index, hub_lb_load* out) {
                           Service& service = *static_cast<Context*>(raw)->service;
                           if (index >= service.candidates.size()) return;
                           const Figures& figures = service.figures[service.candidates[index].instance_id];
                           out->active_requests = static_cast<uint32_t>(figures.in_flight);
                           out->latency_us = static_cast<int64_t>(figures.latency_us);
                         }};
  size_t index = 0;
  const hub_str key_view = view(key);
  const uint64_t hash = key.empty() ? 0 : hash_of(key);
  const hub_status status = service->vtable->pick_live ? service->vtable->pick_live(service->handle, key_view, hash, &live, &index)
                                                       : service->vtable->pick(service->handle, key_view, hash, &index);
  if (status != HUB_OK || index >= service->candidates.size()) return std::nullopt;
  ++service->figures[service->candidates[index].instance_id].in_flight;
  return service->candidates[index];
}

void LocalBalancer::finished(const std::string& name, const std::string& instance_id, std::chrono::microseconds duration, bool succeeded) {
  std::shared_ptr<Service> service;
  {
    std::lock_guard lock(mutex_);
    auto found = services_.find(name);
    if (found == services_.end()) return;
    service = found->second;
  }
  std::lock_guard lock(service->mutex);
  auto found = service->figures.find(instance_id);
  if (found == service->figures.end()) return;
  Figures& figures = found->second;
  if (figures.in_flight > 0) --figures.in_flight;
  // A peak-EWMA without decay by time: a slow call counts at once, faster ones pull it down by 1/8.
  const double sample = static_cast<double>(duration.count());
  if (succeeded)
    figures.latency_us = figures.latency_us < 0 || sample > figures.latency_us ? sample : figures.latency_us * 0.875 + sample * 0.125;
}

}  // namespace hub::client
