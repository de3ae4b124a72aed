// A handle of one of the load-balancer plugin's strategies, called through the ABI as the core
// calls it, with live figures the caller sets: for the strategies' tests and benchmarks.
#pragma once

#include "load_balancer_plugin.hpp"
#include "plugin_host/plugin_instance.hpp"
#include "plugin_host/plugin_loader.hpp"

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace hub::testing {

class StrategyHandle {
 public:
  explicit StrategyHandle(const std::string& implementation, const std::string& yaml = "{}")
      : handle_(PluginInstance::create(library(), *library()->find(implementation, HUB_KIND_LOAD_BALANCER), implementation,
                                       PluginConfig::from_yaml(yaml), {})) {}

  // New candidates, all healthy; every live figure back to unknown.
  void update(std::vector<std::string> ids, std::vector<uint32_t> weights = {}) {
    ids_ = std::move(ids);
    figures.assign(ids_.size(), {sizeof(hub_lb_load), 0, -1, -1});
    std::vector<hub_lb_candidate> candidates;
    for (size_t i = 0; i < ids_.size(); ++i)
      candidates.push_back({sizeof(hub_lb_candidate),
                            {ids_[i].data(), ids_[i].size()},
                            {},
                            80,
                            weights.empty() ? 100 : weights[i],
                            HUB_HEALTH_HEALTHY,
                            -1,
                            -1,
                            0});
    if (vtable().update_candidates(handle_->handle(), candidates.data(), candidates.size()) != HUB_OK)
      throw std::runtime_error("update_candidates: " + handle_->last_error());
  }

  // The index picked for `key` (empty: none), reading `figures` as the live view.
  size_t pick_index(std::string_view key = {}) {
    const hub_lb_live live{sizeof(hub_lb_live), this,
                           [](void* self, size_t index, hub_lb_load* out) { *out = static_cast<StrategyHandle*>(self)->figures[index]; }};
    uint64_t hash = 14695981039346656037ull;  // the core's key hash: FNV-1a
    for (unsigned char c : key) hash = (hash ^ c) * 1099511628211ull;
    size_t index = 0;
    const hub_str key_view{key.data(), key.size()};
    const hub_status status = vtable().pick_live ? vtable().pick_live(handle_->handle(), key_view, key.empty() ? 0 : hash, &live, &index)
                                                 : vtable().pick(handle_->handle(), key_view, key.empty() ? 0 : hash, &index);
    if (status != HUB_OK) throw std::runtime_error("pick: " + handle_->last_error());
    return index;
  }
  const std::string& pick(std::string_view key = {}) { return ids_.at(pick_index(key)); }

  std::vector<hub_lb_load> figures;

 private:
  static std::shared_ptr<const PluginLibrary> library() {
    static const auto loaded = PluginLoader{}.add_static("load-balancer", &load_balancer_plugin);
    return loaded;
  }
  const hub_load_balancer_vtable& vtable() const { return handle_->vtable<hub_load_balancer_vtable>(); }
  std::unique_ptr<PluginInstance> handle_;
  std::vector<std::string> ids_;
};

}  // namespace hub::testing
