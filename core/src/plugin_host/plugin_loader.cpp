#include "kinds.hpp"

#include <hub/errors.hpp>
#include "plugin_loader.hpp"

#define BOOST_DLL_USE_STD_FS
#include <boost/dll/import.hpp>
#include <boost/dll/shared_library.hpp>

#include <algorithm>
#include <cstring>
#include <set>

namespace hub {

namespace {
struct Native {  // an open shared library
  boost::dll::shared_library library;
};
}  // namespace

PluginLibrary::PluginLibrary(std::string file, const hub_plugin_descriptor* descriptor, std::shared_ptr<const void> owner)
    : file_(std::move(file)), descriptor_(descriptor), owner_(std::move(owner)) {}

PluginLibrary::~PluginLibrary() = default;

const hub_implementation* PluginLibrary::find(const std::string& implementation, hub_kind kind) const {
  for (size_t i = 0; i < descriptor_->implementation_count; ++i) {
    const hub_implementation& candidate = descriptor_->implementations[i];
    if (implementation == candidate.name && (kind == 0 || kind == candidate.kind)) return &candidate;
  }
  return nullptr;
}

std::string version_string(uint32_t packed) {
  return std::to_string(HUB_VERSION_MAJOR(packed)) + "." + std::to_string(HUB_VERSION_MINOR(packed)) + "." +
         std::to_string(HUB_VERSION_PATCH(packed));
}

namespace {

// Every vtable starts with a uint32_t struct_size and then function pointers.
void check_vtable(const std::string& where, const hub_implementation& implementation) {
  const Kind* kind = find_kind(implementation.kind);
  if (!kind) throw PluginError(where + ": has an " + kind_name(implementation.kind) + "; the kinds are 1 to 5");
  const std::string label = where + ": implementation '" + implementation.name + "' (" + kind_name(implementation.kind) + ")";
  if (!implementation.vtable) throw PluginError(label + " has no vtable");
  uint32_t struct_size = 0;
  std::memcpy(&struct_size, implementation.vtable, sizeof struct_size);
  for (const Kind::Hook& hook : kind->required) {
    void (*function)() = nullptr;
    bool inside = struct_size >= hook.offset + sizeof function;
    if (inside) std::memcpy(&function, static_cast<const char*>(implementation.vtable) + hook.offset, sizeof function);
    if (!function)
      throw PluginError(label + " lacks the required hook '" + hook.name + "'" +
                        (inside ? "" : " (its vtable's struct_size " + std::to_string(struct_size) + " ends before it)"));
  }
}

void check_descriptor(const std::string& file, const hub_plugin_descriptor* descriptor, uint32_t host_abi) {
  if (!descriptor)
    throw PluginError("plugin " + file + ": its entry returned no descriptor (it cannot serve a host of ABI " + version_string(host_abi) +
                      ")");
  if (descriptor->struct_size < sizeof(hub_plugin_descriptor) &&
      descriptor->struct_size < offsetof(hub_plugin_descriptor, implementation_count) + sizeof(size_t))
    throw PluginError("plugin " + file + ": descriptor struct_size " + std::to_string(descriptor->struct_size) +
                      " is smaller than ABI 1.0's");
  const uint32_t plugin_abi = descriptor->abi_version;
  if (HUB_VERSION_MAJOR(plugin_abi) != HUB_VERSION_MAJOR(host_abi))
    throw PluginError("plugin " + file + ": built for plugin ABI " + version_string(plugin_abi) + " but this hub speaks ABI " +
                      version_string(host_abi) + "; majors must match: rebuild the plugin against this hub's hub/plugin_api.h");
  if (HUB_VERSION_MINOR(plugin_abi) > HUB_VERSION_MINOR(host_abi))
    throw PluginError("plugin " + file + ": built for plugin ABI " + version_string(plugin_abi) + ", newer than this hub's ABI " +
                      version_string(host_abi) + "; upgrade the hub or rebuild the plugin against ABI " + version_string(host_abi));
  if (!descriptor->name || !*descriptor->name) throw PluginError("plugin " + file + ": its descriptor has no name");
  if (descriptor->implementation_count == 0 || !descriptor->implementations)
    throw PluginError("plugin " + file + ": declares no implementations");
  std::set<std::pair<hub_kind, std::string>> seen;
  for (size_t i = 0; i < descriptor->implementation_count; ++i) {
    const hub_implementation& implementation = descriptor->implementations[i];
    if (implementation.struct_size < sizeof(hub_implementation))
      throw PluginError("plugin " + file + ": implementation #" + std::to_string(i) + " has struct_size " +
                        std::to_string(implementation.struct_size) + ", smaller than ABI 1.0's");
    if (!implementation.name || !*implementation.name)
      throw PluginError("plugin " + file + ": implementation #" + std::to_string(i) + " has no name");
    if (!seen.emplace(implementation.kind, implementation.name).second)
      throw PluginError("plugin " + file + ": implementation '" + implementation.name + "' (" + kind_name(implementation.kind) +
                        ") is declared twice");
    check_vtable("plugin " + file, implementation);
  }
}

bool looks_like_path(const std::string& name) {
  return name.find('/') != std::string::npos || name.ends_with(".so");
}

// Boost.DLL wraps dlerror()'s text; the loader's own words are what users need.
std::string loader_message(const std::exception& error) {
  std::string text = error.what();
  const std::string marker = "dlerror system message: ";
  size_t at = text.find(marker);
  if (at == std::string::npos) return text;
  text = text.substr(at + marker.size());
  return text.substr(0, text.rfind(')'));  // Boost appends ")" and its own error code
}

}  // namespace

PluginLoader::PluginLoader(LoaderOptions options) : options_(std::move(options)) {}

std::filesystem::path PluginLoader::resolve(const std::string& name_or_path) const {
  namespace fs = std::filesystem;
  if (looks_like_path(name_or_path)) {
    if (!fs::exists(name_or_path)) throw PluginError("plugin " + name_or_path + ": file not found");
    return fs::absolute(name_or_path).lexically_normal();
  }
  std::vector<std::string> tried;
  for (const fs::path& directory : options_.search_paths) {
    for (const std::string& file : {name_or_path + ".so", "lib" + name_or_path + ".so"}) {
      fs::path candidate = directory / file;
      if (fs::exists(candidate)) return fs::absolute(candidate).lexically_normal();
      tried.push_back(candidate.string());
    }
  }
  std::string list;
  for (const std::string& path : tried) list += (list.empty() ? "" : ", ") + path;
  throw PluginError("plugin '" + name_or_path + "': file not found; tried: " + (list.empty() ? "(no search paths configured)" : list));
}

std::shared_ptr<const PluginLibrary> PluginLoader::load(const std::string& name_or_path) {
  std::lock_guard lock(mutex_);
  for (const auto& [name, library] : static_)
    if (name == name_or_path) return library;
  const std::filesystem::path path = resolve(name_or_path);
  for (const auto& library : loaded_)
    if (library->file() == path.string()) return library;

  auto native = std::make_shared<Native>();
  namespace mode = boost::dll::load_mode;
  try {
    native->library.load(path, mode::rtld_now | mode::rtld_local);
  } catch (const std::exception& error) {
    throw PluginError("plugin " + path.string() + ": cannot load: " + loader_message(error));
  }
  if (!native->library.has(HUB_PLUGIN_ENTRY_SYMBOL))
    throw PluginError("plugin " + path.string() +
                      ": no entry symbol '" HUB_PLUGIN_ENTRY_SYMBOL
                      "' (is it a Central Hub plugin? the SDK's HUB_PLUGIN macro exports it)");
  auto entry = boost::dll::import <const hub_plugin_descriptor*(uint32_t)>(native->library, HUB_PLUGIN_ENTRY_SYMBOL);
  auto library = validate(path.string(), entry(options_.host_abi_version), native);
  loaded_.push_back(library);
  return library;
}

bool PluginLoader::is_static(const std::string& name) const {
  std::lock_guard lock(mutex_);
  return std::any_of(static_.begin(), static_.end(), [&](const auto& linked) { return linked.first == name; });
}

std::shared_ptr<const PluginLibrary> PluginLoader::add_static(const std::string& name, hub_plugin_entry_fn entry) {
  std::lock_guard lock(mutex_);
  auto library = validate("static:" + name, entry(options_.host_abi_version), nullptr);
  static_.emplace_back(name, library);
  return library;
}

std::shared_ptr<const PluginLibrary> PluginLoader::validate(std::string file, const hub_plugin_descriptor* descriptor,
                                                            std::shared_ptr<const void> owner) const {
  check_descriptor(file, descriptor, options_.host_abi_version);
  return std::make_shared<const PluginLibrary>(std::move(file), descriptor, std::move(owner));
}

}  // namespace hub
