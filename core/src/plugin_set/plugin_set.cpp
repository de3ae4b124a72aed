#include "plugin_set.hpp"

#include "circuit_breaker_plugin.hpp"
#include "deployment_coordinator_plugin.hpp"
#include "load_balancer_plugin.hpp"
#include "plugin_host/kinds.hpp"

#include <hub/errors.hpp>

#include <algorithm>

namespace hub {

HostServices plugin_services(std::shared_ptr<Clock> clock, std::shared_ptr<Metrics> metrics, std::shared_ptr<spdlog::logger> logger) {
  HostServices services;
  services.clock = std::move(clock);
  services.metrics = std::move(metrics);
  services.log = [logger](const std::string& id, hub_log_level level, std::string_view message) {
    static const spdlog::level::level_enum levels[] = {spdlog::level::trace, spdlog::level::debug, spdlog::level::info, spdlog::level::warn,
                                                       spdlog::level::err};
    const auto spd_level = levels[std::clamp(level, HUB_LOG_TRACE, HUB_LOG_ERROR)];
    if (logger->should_log(spd_level)) logger->log(spd_level, "[{}] {}", id, message);
  };
  return services;
}

namespace {

const hub_implementation& find_implementation(const PluginLibrary& library, const EnabledImplementation& enabled) {
  if (const hub_implementation* found = library.find(enabled.implementation)) {
    if (!enabled.kind.empty() && kind_name(found->kind) != enabled.kind)
      throw PluginError(enabled.where + ": plugin " + library.file() + ": implementation '" + enabled.implementation + "' is a " +
                        kind_name(found->kind) + ", but the deployment says " + enabled.kind);
    return *found;
  }
  std::string offered;
  const hub_plugin_descriptor& descriptor = library.descriptor();
  for (size_t i = 0; i < descriptor.implementation_count; ++i)
    offered += std::string(offered.empty() ? "" : ", ") + descriptor.implementations[i].name + " (" +
               kind_name(descriptor.implementations[i].kind) + ")";
  throw PluginError(enabled.where + ": plugin " + library.file() + ": has no implementation '" + enabled.implementation +
                    "'; it offers: " + offered);
}

}  // namespace

std::unique_ptr<PluginInstance> builtin_round_robin(std::string id, const HostServices& services) {
  static const std::shared_ptr<const PluginLibrary> library = PluginLoader{}.add_static(kBuiltinBalancers, &load_balancer_plugin);
  return PluginInstance::create(library, *library->find("round_robin", HUB_KIND_LOAD_BALANCER), std::move(id), PluginConfig{}, services);
}

std::unique_ptr<PluginInstance> builtin_breaker(std::string id, const HostServices& services) {
  static const std::shared_ptr<const PluginLibrary> library = PluginLoader{}.add_static(kBuiltinBreakers, &circuit_breaker_plugin);
  return PluginInstance::create(library, *library->find("sliding_window", HUB_KIND_CIRCUIT_BREAKER), std::move(id), PluginConfig{},
                                services);
}

std::unique_ptr<PluginInstance> builtin_coordinator(const std::string& name, const HostServices& services) {
  static const std::shared_ptr<const PluginLibrary> library =
      PluginLoader{}.add_static(kBuiltinCoordinators, &deployment_coordinator_plugin);
  const hub_implementation* implementation = library->find(name, HUB_KIND_DEPLOYMENT_COORDINATOR);
  if (!implementation) return nullptr;
  return PluginInstance::create(library, *implementation, "deployment/" + name, PluginConfig{}, services);
}

void PluginSet::load(const Manifest& manifest, const std::vector<StaticPlugin>& static_plugins, const HostServices& services) {
  PluginLoader loader({.search_paths = manifest.plugin_search_paths});
  try {
    for (const StaticPlugin& linked : static_plugins) loader.add_static(linked.name, linked.entry);
    if (!loader.is_static(kBuiltinBalancers)) loader.add_static(kBuiltinBalancers, &load_balancer_plugin);
    if (!loader.is_static(kBuiltinBreakers)) loader.add_static(kBuiltinBreakers, &circuit_breaker_plugin);
    if (!loader.is_static(kBuiltinCoordinators)) loader.add_static(kBuiltinCoordinators, &deployment_coordinator_plugin);
    for (const PluginLibrarySettings& settings : manifest.plugins) {
      std::shared_ptr<const PluginLibrary> library;
      try {
        library = settings.isolation == PluginLibrarySettings::Isolation::process ? load_isolated(loader, settings, services)
                                                                                  : loader.load(settings.library);
      } catch (const PluginError& error) {
        throw PluginError(settings.where + ": " + error.what());
      }
      if (std::find(libraries_.begin(), libraries_.end(), library) == libraries_.end()) libraries_.push_back(library);
      for (const EnabledImplementation& enabled : settings.enable) {
        const hub_implementation& implementation = find_implementation(*library, enabled);
        try {
          instances_.push_back(PluginInstance::create(library, implementation, enabled.id, enabled.config, services));
          recipes_[enabled.id] = {library, &implementation, enabled.config};
        } catch (const PluginError& error) {
          throw PluginError(enabled.where + ": " + error.what());
        }
      }
    }
  } catch (...) {
    clear();
    throw;
  }
}

std::unique_ptr<PluginInstance> PluginSet::another(const std::string& id, std::string new_id, const HostServices& services) const {
  if (id.empty()) return builtin_round_robin(std::move(new_id), services);
  auto recipe = recipes_.find(id);
  if (recipe == recipes_.end()) throw PluginError("no enabled implementation has the id '" + id + "'");
  return PluginInstance::create(recipe->second.library, *recipe->second.implementation, std::move(new_id), recipe->second.config, services);
}

void PluginSet::clear() {
  // Sessions, then configs, then libraries: newest instance first.
  while (!instances_.empty()) instances_.pop_back();
  recipes_.clear();
  processes_.clear();
  libraries_.clear();
}

std::shared_ptr<const PluginLibrary> PluginSet::load_isolated(PluginLoader& loader, const PluginLibrarySettings& settings,
                                                              const HostServices& services) {
  if (loader.is_static(settings.library))
    throw PluginError("plugin '" + settings.library + "' is linked into the hub: isolation: process needs a library file");
  const std::filesystem::path file = loader.locate(settings.library);
  std::shared_ptr<isolation::PluginProcess> process = isolation::PluginProcess::start(file, services);
  auto library = std::make_shared<const PluginLibrary>(file.string(), &process->descriptor(), process);
  processes_.emplace_back(library.get(), process);
  return library;
}

const isolation::PluginProcess* PluginSet::process_of(const PluginLibrary& library) const {
  for (const auto& [owner, process] : processes_)
    if (owner == &library) return process.get();
  return nullptr;
}

}  // namespace hub

namespace hub {

void PluginSet::abandon(const PluginInstance* instance) {
  for (auto& owned : instances_)
    if (owned.get() == instance) {
      (void)owned.release();  // on purpose: see the header
      std::erase(instances_, nullptr);
      return;
    }
}

}  // namespace hub
