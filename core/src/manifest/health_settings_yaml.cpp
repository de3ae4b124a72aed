#include "health_settings_yaml.hpp"

#include <set>

namespace hub {

namespace {

InfrastructureTarget read_target(const yaml::Source& source, const YAML::Node& node, const std::string& path) {
  yaml::MapReader reader(source, node, path);
  InfrastructureTarget target;
  target.name = reader.required_string("name");
  target.probe = reader.required_string("probe");
  target.probe_where = yaml::where(source, reader.node("probe"));
  target.host = reader.string("host", target.host);
  target.port = static_cast<uint16_t>(reader.integer("port", 0, 0, 65535));
  target.endpoint = reader.string("endpoint", "");
  target.interval_seconds = static_cast<int>(reader.integer("interval_seconds", 0, 1, 86400));
  target.timeout_ms = static_cast<int>(reader.integer("timeout_ms", 0, 1, 600'000));
  target.degraded_latency_ms = static_cast<int>(reader.integer("degraded_latency_ms", -1, 0, 600'000));
  if (reader.has("attributes")) {
    yaml::MapReader attributes(source, reader.node("attributes"), reader.path("attributes"));
    for (const auto& entry : attributes.self()) {
      const std::string key = entry.first.Scalar();
      target.attributes.emplace_back(key, attributes.string(key, ""));
    }
    attributes.finish();
  }
  target.where = yaml::where(source, node);
  reader.finish();
  return target;
}

WebhookSink read_webhook(const yaml::Source& source, const YAML::Node& node, const std::string& path) {
  yaml::MapReader reader(source, node, path);
  WebhookSink sink;
  sink.url = reader.required_string("url");
  if (!sink.url.starts_with("http://") && !sink.url.starts_with("https://"))
    reader.fail_at("url", "expected http://HOST:PORT/PATH or https://…, got '" + sink.url + "'");
  sink.ca_file = reader.string("ca_file", "");
  sink.timeout_ms = static_cast<int>(reader.integer("timeout_ms", sink.timeout_ms, 1, 600'000));
  sink.max_attempts = static_cast<int>(reader.integer("max_attempts", sink.max_attempts, 1, 100));
  sink.first_backoff_ms = static_cast<int>(reader.integer("first_backoff_ms", sink.first_backoff_ms, 1, 600'000));
  reader.finish();
  return sink;
}

template <class Item, class Read>
std::vector<Item> read_list(yaml::MapReader& reader, const std::string& key, Read read) {
  std::vector<Item> items;
  const YAML::Node list = reader.node(key);
  if (!list.IsDefined()) return items;
  if (!list.IsSequence()) reader.fail_at(key, "expected a sequence, got " + yaml::describe(list));
  for (size_t i = 0; i < list.size(); ++i)
    items.push_back(read(reader.source(), list[i], reader.path(key) + "[" + std::to_string(i) + "]"));
  return items;
}

}  // namespace

HealthMonitoringSettings read_health_monitoring(yaml::MapReader& top) {
  HealthMonitoringSettings settings;
  if (!top.has("health_monitoring")) return settings;
  yaml::MapReader section(top.source(), top.node("health_monitoring"), "health_monitoring");
  settings.enabled = true;
  settings.check_interval_seconds = static_cast<int>(section.integer("check_interval_seconds", settings.check_interval_seconds, 1, 86400));
  settings.timeout_ms = static_cast<int>(section.integer("timeout_ms", settings.timeout_ms, 1, 600'000));
  settings.max_concurrent_checks = static_cast<int>(section.integer("max_concurrent_checks", settings.max_concurrent_checks, 1, 4096));
  settings.max_stuck_threads = static_cast<int>(section.integer("max_stuck_threads", settings.max_stuck_threads, 0, 4096));
  settings.rise = static_cast<int>(section.integer("rise", settings.rise, 1, 100));
  settings.fall = static_cast<int>(section.integer("fall", settings.fall, 1, 100));
  settings.degraded_latency_ms = static_cast<int>(section.integer("degraded_latency_ms", 0, 0, 600'000));
  settings.retention_days = static_cast<int>(section.integer("retention_days", settings.retention_days, 1, 3650));
  settings.history_size = static_cast<int>(section.integer("history_size", settings.history_size, 1, 100'000));
  settings.service_probe = section.string("service_probe", "");
  if (section.has("service_probe")) settings.service_probe_where = yaml::where(top.source(), section.node("service_probe"));
  settings.infrastructure = read_list<InfrastructureTarget>(section, "infrastructure", read_target);
  std::set<std::string> names;
  for (size_t i = 0; i < settings.infrastructure.size(); ++i)
    if (!names.insert(settings.infrastructure[i].name).second)
      section.fail_at("infrastructure", "component '" + settings.infrastructure[i].name + "' is listed twice");
  if (section.has("alerts")) {
    yaml::MapReader alerts(top.source(), section.node("alerts"), "health_monitoring.alerts");
    settings.webhooks = read_list<WebhookSink>(alerts, "webhooks", read_webhook);
    alerts.finish();
  }
  section.finish();
  return settings;
}

}  // namespace hub
