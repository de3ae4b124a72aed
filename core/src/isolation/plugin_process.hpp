// A plugin library run in a hub-plugin-host process (isolation: process).
// Its descriptor lists proxies of the library's implementations that speak
// to the process through the same C ABI the core uses for any library, so the
// probe runner and the discovery sources cannot tell the difference. A crash
// of the process (a null dereference in check()) fails its pending checks
// with "plugin crashed: signal 11 (Segmentation fault)", is logged and
// published as plugin.crashed, and the process is started again with backoff
// (0.1 s doubling to 30 s), its instances made again and its sources started.
//
//   auto process = PluginProcess::start("/opt/team/probes/disk.so", services);
//   PluginLibrary library(path, &process->descriptor(), process);
#pragma once

#include <hub/plugin_api.h>
#include "plugin_host/plugin_instance.hpp"

#include <filesystem>
#include <memory>
#include <string>

namespace hub::isolation {

class PluginProcess {
 public:
  // Starts the host for `library` and reads its descriptor; throws PluginError saying why not.
  static std::shared_ptr<PluginProcess> start(const std::filesystem::path& library, HostServices services);
  virtual ~PluginProcess() = default;

  virtual const hub_plugin_descriptor& descriptor() const = 0;
  // Empty while the process runs; else what happened ("plugin crashed: signal 11 (...); restarting in 0.4 s").
  virtual std::string problem() const = 0;
  // How many times it was restarted and why the last time; empty when never.
  virtual std::string history() const = 0;
};

// The program that hosts a library: $HUB_PLUGIN_HOST, or hub-plugin-host beside libhubcore
// (the build tree) or in libexec/central-hub (an installed hub). Throws PluginError.
std::filesystem::path plugin_host_program();

}  // namespace hub::isolation
