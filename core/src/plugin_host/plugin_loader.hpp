// Finds, opens and validates plugin libraries.
//
//   hub::PluginLoader loader({.search_paths = {"/usr/lib/central-hub/plugins"}});
//   auto library = loader.load("disk-space-probe");        // or a path to a .so
//   auto linked = loader.add_static("my-probe", &my_probe_plugin);
//
// Every refusal is a PluginError whose message is one line naming the file
// and the cause. Loading is serialized. A PluginLibrary keeps its shared
// library open for as long as anything made from it is alive.
#pragma once

#include <hub/plugin_api.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace hub {

std::string version_string(uint32_t packed);

class PluginLibrary {
 public:
  // `owner` keeps `descriptor` valid: the open shared library, the process of an isolated one, or
  // nothing for a static plugin.
  PluginLibrary(std::string file, const hub_plugin_descriptor* descriptor, std::shared_ptr<const void> owner);
  ~PluginLibrary();

  const std::string& file() const { return file_; }  // the path, or "static:NAME"
  std::string name() const { return descriptor_->name; }
  std::string version() const { return descriptor_->version ? descriptor_->version : ""; }
  std::string description() const { return descriptor_->description ? descriptor_->description : ""; }
  uint32_t abi_version() const { return descriptor_->abi_version; }
  const hub_plugin_descriptor& descriptor() const { return *descriptor_; }
  // The implementation of that name (and kind, unless 0); nullptr if none.
  const hub_implementation* find(const std::string& implementation, hub_kind kind = 0) const;

 private:
  std::string file_;
  const hub_plugin_descriptor* descriptor_;
  std::shared_ptr<const void> owner_;
};

struct LoaderOptions {
  std::vector<std::filesystem::path> search_paths;
  // The ABI this host speaks. Only tests set it, to stand in for another host.
  uint32_t host_abi_version = HUB_PLUGIN_ABI_VERSION;
};

class PluginLoader {
 public:
  explicit PluginLoader(LoaderOptions options = {});

  // `name_or_path`: a statically added plugin's name, a path (contains '/'
  // or ends in .so), or a name looked up as NAME.so, libNAME.so in each
  // search path. Loading the same file twice returns the same library.
  std::shared_ptr<const PluginLibrary> load(const std::string& name_or_path);
  // A plugin linked into this program, through the very same checks.
  std::shared_ptr<const PluginLibrary> add_static(const std::string& name, hub_plugin_entry_fn entry);
  // The file `name_or_path` names, as load() finds it; throws PluginError listing what was tried.
  std::filesystem::path locate(const std::string& name_or_path) const { return resolve(name_or_path); }
  bool is_static(const std::string& name) const;

  const LoaderOptions& options() const { return options_; }

 private:
  std::filesystem::path resolve(const std::string& name_or_path) const;
  std::shared_ptr<const PluginLibrary> validate(std::string file, const hub_plugin_descriptor* descriptor,
                                                std::shared_ptr<const void> owner) const;

  LoaderOptions options_;
  mutable std::mutex mutex_;
  std::vector<std::shared_ptr<const PluginLibrary>> loaded_;
  std::vector<std::pair<std::string, std::shared_ptr<const PluginLibrary>>> static_;
};

}  // namespace hub
