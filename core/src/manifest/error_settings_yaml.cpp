#include "error_settings_yaml.hpp"

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
  section.finish();
  return settings;
}

}  // namespace hub
