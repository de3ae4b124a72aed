#include "error_settings_yaml.hpp"

#include "basics/service_name.hpp"

namespace hub {

ErrorSettings read_errors(yaml::MapReader& top) {
  yaml::MapReader section(top.source(), top.node("errors"), "errors");
  ErrorSettings settings;
  settings.window_seconds = static_cast<int>(section.integer("window_seconds", settings.window_seconds, 10, 86'400));
  settings.baseline_half_life_seconds =
      static_cast<int>(section.integer("baseline_half_life_seconds", settings.baseline_half_life_seconds, 60, 30 * 86'400));
  settings.multiplier = section.number("multiplier", settings.multiplier, 1.0, 1000.0);
  settings.floor_per_minute = section.number("floor_per_minute", settings.floor_per_minute, 0.0, 1e6);
  settings.alert_new_errors = section.boolean("alert_new_errors", settings.alert_new_errors);
  settings.retention_days = static_cast<int>(section.integer("retention_days", settings.retention_days, 1, 3650));
  settings.max_groups = static_cast<size_t>(section.integer("max_groups", static_cast<int64_t>(settings.max_groups), 1, 1'000'000));
  settings.samples_per_group =
      static_cast<size_t>(section.integer("samples_per_group", static_cast<int64_t>(settings.samples_per_group), 0, 100));
  settings.max_batch = static_cast<size_t>(section.integer("max_batch", static_cast<int64_t>(settings.max_batch), 1, 10'000));
  settings.save_interval_seconds = static_cast<int>(section.integer("save_interval_seconds", settings.save_interval_seconds, 1, 3600));
  const YAML::Node circuits = section.node("open_circuit_on_spike");
  if (circuits.IsDefined() && !circuits.IsNull()) {
    if (!circuits.IsMap()) section.fail_at("open_circuit_on_spike", "must map service names to cool-downs in seconds");
    yaml::MapReader services(top.source(), circuits, section.path("open_circuit_on_spike"));
    for (const auto& entry : circuits) {
      const std::string service = entry.first.as<std::string>();
      const std::string wrong = validate_service_name(services.path(service), service);
      if (!wrong.empty()) services.fail_at(service, wrong);
      settings.open_circuit_on_spike[service] = static_cast<int>(services.integer(service, 0, 1, 86'400));
    }
    services.finish();
  }
  section.finish();
  return settings;
}

}  // namespace hub
