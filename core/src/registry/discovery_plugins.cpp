#include "discovery_plugins.hpp"

#include "instance_validation.hpp"

#include <hub/errors.hpp>

#include <optional>

namespace hub {

namespace {

std::string text(hub_str view) {
  return view.len ? std::string(view.ptr, view.len) : std::string();
}

}  // namespace

// The sink_ctx a source receives: its instance and where its records go.
struct DiscoveryPlugins::Source {
  const PluginInstance* instance;
  Registry* registry;
  std::shared_ptr<spdlog::logger> logger;
  hub_discovery_sink sink{};
  bool started = false;

  static Source& of(void* context) { return *static_cast<Source*>(context); }

  // A record the registry can serve, or nullopt after logging why it was dropped.
  std::optional<InstanceRecord> convert(const hub_instance_record& raw) const {
    InstanceRecord record;
    record.service_name = text(raw.service);
    record.instance_id = text(raw.instance_id);
    record.host = text(raw.host);
    record.port = raw.port <= 65535 ? static_cast<uint16_t>(raw.port) : 0;
    if (HUB_HAS_MEMBER(&raw, hub_instance_record, protocol) && raw.protocol.len) record.protocol = text(raw.protocol);
    if (HUB_HAS_MEMBER(&raw, hub_instance_record, health_endpoint)) record.health_endpoint = text(raw.health_endpoint);
    if (HUB_HAS_MEMBER(&raw, hub_instance_record, version)) record.version = text(raw.version);
    if (HUB_HAS_MEMBER(&raw, hub_instance_record, weight) && raw.weight) record.weight = raw.weight;
    if (HUB_HAS_MEMBER(&raw, hub_instance_record, tag_count) && raw.tags)
      for (size_t i = 0; i < raw.tag_count; ++i) record.tags.push_back(text(raw.tags[i]));
    if (HUB_HAS_MEMBER(&raw, hub_instance_record, metadata_json) && raw.metadata_json.len) record.metadata_json = text(raw.metadata_json);
    if (record.instance_id.empty()) record.instance_id = record.host + ":" + std::to_string(record.port);
    if (std::string problem = validate_instance(record); !problem.empty()) {
      logger->warn("discovery source '{}' delivered an instance the hub cannot use, skipped: {}", instance->id(), problem);
      return std::nullopt;
    }
    return record;
  }

  static void snapshot(void* context, const hub_instance_record* records, size_t count) {
    Source& self = of(context);
    std::vector<InstanceRecord> converted;
    for (size_t i = 0; i < count; ++i)
      if (auto record = self.convert(records[i])) converted.push_back(std::move(*record));
    self.registry->replace_source(self.instance->id(), std::move(converted));
  }
  static void upsert(void* context, const hub_instance_record* record) {
    Source& self = of(context);
    if (auto converted = self.convert(*record)) self.registry->upsert_from_source(self.instance->id(), std::move(*converted));
  }
  static void remove(void* context, hub_str service, hub_str instance_id) {
    Source& self = of(context);
    self.registry->remove_from_source(self.instance->id(), text(service), text(instance_id));
  }
};

DiscoveryPlugins::DiscoveryPlugins(std::vector<const PluginInstance*> instances, Registry& registry,
                                   std::shared_ptr<spdlog::logger> logger) {
  const PluginInstance* policy_owner = nullptr;
  for (const PluginInstance* instance : instances) {
    auto source = std::make_unique<Source>();
    source->instance = instance;
    source->registry = &registry;
    source->logger = logger;
    source->sink = {sizeof(hub_discovery_sink), source.get(), &Source::snapshot, &Source::upsert, &Source::remove};
    sources_.push_back(std::move(source));
    const auto& vtable = instance->vtable<hub_discovery_vtable>();
    // check_references() allowed one liveness policy at most.
    if (!HUB_HAS_MEMBER(&vtable, hub_discovery_vtable, assess_liveness) || !vtable.assess_liveness || policy_owner) continue;
    policy_owner = instance;
    policy_ = [instance, &vtable](const hub_liveness_input& input) { return vtable.assess_liveness(instance->handle(), &input); };
  }
}

DiscoveryPlugins::~DiscoveryPlugins() {
  stop();
}

void DiscoveryPlugins::start() {
  for (auto& source : sources_) {
    const auto& vtable = source->instance->vtable<hub_discovery_vtable>();
    if (vtable.start(source->instance->handle(), &source->sink) != HUB_OK) {
      const std::string message = source->instance->last_error();
      stop();
      throw PluginError("discovery instance '" + source->instance->id() +
                        "' failed to start: " + (message.empty() ? "no message" : message));
    }
    source->started = true;
  }
}

void DiscoveryPlugins::stop() {
  for (auto source = sources_.rbegin(); source != sources_.rend(); ++source) {
    if (!(*source)->started) continue;
    (*source)->instance->vtable<hub_discovery_vtable>().stop((*source)->instance->handle());
    (*source)->started = false;
  }
}

}  // namespace hub
