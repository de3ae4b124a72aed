// One enabled implementation: a handle made by a plugin's create() from its
// config, with the host table the plugin calls back into.
//
// Destruction order is the ABI's: the handle is destroyed first, then the host
// table it may call, then the library reference is dropped.
#pragma once

#include <hub/clock.hpp>
#include <hub/metrics.hpp>
#include <hub/plugin_config.hpp>
#include "plugin_loader.hpp"

#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace hub {

// What the hub lends every plugin through hub_host.
struct HostServices {
  std::shared_ptr<Clock> clock;
  std::shared_ptr<Metrics> metrics;
  // Receives the plugin's log lines with the instance id that wrote them.
  std::function<void(const std::string& id, hub_log_level level, std::string_view message)> log;
  // Publishes an event of the hub's (plugin.crashed when an isolated library's process dies).
  std::function<void(const std::string& topic, const std::string& json)> publish;
};

class PluginInstance {
 public:
  // Calls the implementation's create(). Throws PluginError naming the file,
  // the implementation and the plugin's own message when it fails.
  static std::unique_ptr<PluginInstance> create(std::shared_ptr<const PluginLibrary> library, const hub_implementation& implementation,
                                                std::string id, const PluginConfig& config, HostServices services);
  ~PluginInstance();
  PluginInstance(const PluginInstance&) = delete;
  PluginInstance& operator=(const PluginInstance&) = delete;

  const std::string& id() const { return id_; }
  hub_kind kind() const { return implementation_->kind; }
  std::string implementation() const { return implementation_->name; }
  const PluginLibrary& library() const { return *library_; }
  void* handle() const { return handle_; }
  template <class VTable>
  const VTable& vtable() const {
    return *static_cast<const VTable*>(implementation_->vtable);
  }
  // The table handed to the plugin: its clock is the one its deadlines use.
  const hub_host& host_table() const;
  // The plugin's message for this thread's last failed call on the handle.
  std::string last_error() const;

  struct HostTable;

 private:
  PluginInstance(std::shared_ptr<const PluginLibrary> library, const hub_implementation& implementation, std::string id,
                 HostServices services);

  std::shared_ptr<const PluginLibrary> library_;
  const hub_implementation* implementation_;
  std::string id_;
  std::unique_ptr<HostTable> host_;
  void* handle_ = nullptr;
};

}  // namespace hub
