#include "health_api.hpp"

#include "backups_api.hpp"

#include "basics/time_text.hpp"
#include "http/encoding.hpp"

#include <hub/errors.hpp>

#include <nlohmann/json.hpp>

#include <cmath>

namespace hub {

namespace {

using http::Request;
using http::Response;
using nlohmann::json;

Response json_answer(const json& body) {
  return {200, "application/json", body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)};
}

double rounded(double ms) {
  return std::round(ms * 100.0) / 100.0;
}

json check_json(const CheckRecord& record) {
  return {{"status", health_name(record.status)},
          {"latency", rounded(record.latency_ms)},
          {"message", record.message},
          {"checked_at", rfc3339_utc(record.at_unix_us)}};
}

// "90", "90s", "15m", "24h", "7d" -> seconds; nullopt when malformed.
std::optional<int64_t> window_seconds(const std::string& text) {
  if (text.empty()) return std::nullopt;
  int64_t unit = 1;
  std::string digits = text;
  switch (text.back()) {
    case 's':
      digits.pop_back();
      break;
    case 'm':
      unit = 60, digits.pop_back();
      break;
    case 'h':
      unit = 3600, digits.pop_back();
      break;
    case 'd':
      unit = 86400, digits.pop_back();
      break;
  }
  if (digits.empty() || digits.size() > 9 || digits.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
  const int64_t value = std::stoll(digits) * unit;
  return value > 0 ? std::optional(value) : std::nullopt;
}

class HealthApi {
 public:
  HealthApi(HealthMonitor& monitor, const Registry* registry, const Clock& clock, const backups::BackupJobs* jobs)
      : monitor_(monitor), registry_(registry), clock_(clock), jobs_(jobs) {}

  Response services(const Request&) const {
    json out = json::object();
    std::map<std::string, std::vector<TargetHealth>> checked;
    for (TargetHealth& target : monitor_.targets(false)) checked[target.name].push_back(std::move(target));
    if (!registry_) return json_answer(out);
    std::map<std::string, std::vector<InstanceRecord>> services;
    for (InstanceRecord& record : registry_->instances()) services[record.service_name].push_back(std::move(record));
    for (const auto& [name, instances] : services) {
      json entry = {{"status", registry_->service_status(name)}, {"latency", nullptr}, {"instances", instances.size()}};
      int64_t last = 0;
      for (const TargetHealth& target : checked[name])
        if (target.last) {
          entry["latency"] = std::max(entry["latency"].is_null() ? 0.0 : entry["latency"].get<double>(), rounded(target.last->latency_ms));
          last = std::max(last, target.last->at_unix_us);
        }
      entry["checked"] = !entry["latency"].is_null();
      if (!last)  // no health checks: the newest heartbeat is the newest word
        for (const InstanceRecord& record : instances) last = std::max(last, record.last_heartbeat_unix_us);
      entry["last_check"] = rfc3339_utc(last);
      out[name] = std::move(entry);
    }
    return json_answer(out);
  }

  Response service(const Request& request) const {
    const std::string name = request.params.at("service");
    const auto records = registry_ ? registry_->service(name) : std::nullopt;
    if (!records) return http::error(request, 404, "unknown_service", "no service named '" + name + "' is registered");
    std::map<std::string, TargetHealth> checked;
    for (TargetHealth& target : monitor_.targets(false, name)) checked[target.instance_id] = std::move(target);
    json instances = json::array();
    for (const InstanceRecord& record : *records) {
      json instance = {{"instance_id", record.instance_id},
                       {"status", record.status},
                       {"host", record.host},
                       {"port", record.port},
                       {"health_endpoint", record.health_endpoint},
                       {"last_heartbeat", rfc3339_utc(record.last_heartbeat_unix_us)},
                       {"check", nullptr},
                       {"history", json::array()}};
      auto found = checked.find(record.instance_id);
      if (found != checked.end()) {
        instance["check_status"] = health_name(found->second.status);
        if (!found->second.checked_by.empty()) instance["checked_by"] = found->second.checked_by;
        if (found->second.last) instance["check"] = check_json(*found->second.last);
        for (const CheckRecord& past : found->second.history) instance["history"].push_back(check_json(past));
      }
      instances.push_back(std::move(instance));
    }
    return json_answer({{"service_name", name}, {"status", registry_->service_status(name)}, {"instances", std::move(instances)}});
  }

  Response infrastructure(const Request&) const {
    json out = json::object();
    for (const TargetHealth& target : monitor_.targets(true)) {
      json entry = {
          {"status", health_name(target.status)}, {"response_time_ms", nullptr}, {"error_message", nullptr}, {"checked_at", nullptr}};
      if (target.last) {
        entry["response_time_ms"] = rounded(target.last->latency_ms);
        if (target.last->status != Health::healthy) entry["error_message"] = target.last->message;
        entry["checked_at"] = rfc3339_utc(target.last->at_unix_us);
        entry["last_result"] = health_name(target.last->status);
        entry["last_message"] = target.last->message;
      }
      if (!target.checked_by.empty()) entry["checked_by"] = target.checked_by;
      out[target.name] = std::move(entry);
    }
    if (jobs_) out.update(backup_targets(*jobs_, clock_));
    return json_answer(out);
  }

  Response uptime(const Request& request) const {
    const auto query = http::parse_query(request.query);
    const std::string window_text = query && query->count("window") ? query->at("window") : "24h";
    const auto window = window_seconds(window_text);
    if (!window)
      return http::error(request, 400, "invalid_argument", "window: '" + window_text + "' is not a duration such as 3600, 90m, 24h or 7d");
    std::vector<UptimeCount> counts;
    try {
      monitor_.flush();  // the newest results count too
      counts = monitor_.store().load_uptime(clock_.now_unix_us() - *window * 1'000'000);
    } catch (const StorageError& error) {
      return http::error(request, 503, "storage_unavailable", "uptime needs storage: " + std::string(error.what()));
    }
    json services = json::object();
    for (const UptimeCount& count : counts)
      services[count.service] = {{"total", count.total},
                                 {"healthy", count.healthy},
                                 {"uptime_pct", count.total ? std::round(10000.0 * count.healthy / count.total) / 100.0 : 0.0}};
    return json_answer({{"window_seconds", *window}, {"services", std::move(services)}});
  }

  // Checks summed per bucket of time from storage, for the dashboard's charts: every component, or one service.
  Response trend(const Request& request, bool infrastructure) const {
    const std::string name = infrastructure ? "" : request.params.at("service");
    const auto query = http::parse_query(request.query);
    const std::string window_text = query && query->count("window") ? query->at("window") : "1h";
    const auto window = window_seconds(window_text);
    if (!window || *window > 7 * 86400)
      return http::error(request, 400, "invalid_argument",
                         "window: '" + window_text + "' is not a duration up to 7d such as 3600, 90m or 24h");
    const int bucket = static_cast<int>(std::max<int64_t>(10, *window / 60));
    std::vector<HealthBucket> buckets;
    try {
      monitor_.flush();
      buckets = monitor_.store().load_health_trend(infrastructure, name, clock_.now_unix_us() - *window * 1'000'000, bucket);
    } catch (const StorageError& error) {
      return http::error(request, 503, "storage_unavailable", "a trend needs storage: " + std::string(error.what()));
    }
    json series = json::object();
    for (const HealthBucket& each : buckets)
      series[each.name].push_back({{"at", rfc3339_utc(each.start_unix_us)},
                                   {"checks", each.checks},
                                   {"healthy", each.healthy},
                                   {"mean_latency_ms", rounded(each.mean_latency_ms)},
                                   {"max_latency_ms", rounded(each.max_latency_ms)}});
    return json_answer({{"window_seconds", *window}, {"bucket_seconds", bucket}, {"series", std::move(series)}});
  }

  Response alerts(const Request&) const {
    json out = json::array();
    for (const Alert& alert : monitor_.recent_alerts()) out.push_back(json::parse(alert.json()));
    return json_answer({{"alerts", std::move(out)}});
  }

  Response scheduler(const Request&) const {
    const SchedulerStats stats = monitor_.stats();
    return json_answer(
        {{"targets", stats.targets},
         {"checks", stats.checks},
         {"in_flight", stats.in_flight},
         {"stuck_threads", stats.stuck_threads},
         {"lateness_ms",
          {{"p50", rounded(stats.lateness_p50_ms)}, {"p99", rounded(stats.lateness_p99_ms)}, {"max", rounded(stats.lateness_max_ms)}}}});
  }

 private:
  HealthMonitor& monitor_;
  const Registry* registry_;
  const Clock& clock_;
  const backups::BackupJobs* jobs_;
};

}  // namespace

void add_health_routes(http::Router& router, HealthMonitor* monitor, const Registry* registry, const Clock& clock,
                       const backups::BackupJobs* jobs) {
  static const char* paths[] = {
      "/health/services", "/health/services/{service}", "/health/infrastructure",       "/health/uptime",
      "/health/alerts",   "/health/scheduler",          "/health/infrastructure/trend", "/health/services/{service}/trend"};
  if (!monitor) {
    for (const char* path : paths)
      router.add("GET", path, [](const Request& request) {
        return http::error(request, 501, "not_enabled",
                           "health monitoring is not enabled in this deployment (no health_monitoring section)");
      });
    return;
  }
  auto api = std::make_shared<HealthApi>(*monitor, registry, clock, jobs);
  router.add(
      "GET", paths[0], [api](const Request& r) { return api->services(r); }, http::Runs::on_io_thread);
  router.add(
      "GET", paths[1], [api](const Request& r) { return api->service(r); }, http::Runs::on_io_thread);
  router.add(
      "GET", paths[2], [api](const Request& r) { return api->infrastructure(r); }, http::Runs::on_io_thread);
  router.add("GET", paths[3], [api](const Request& r) { return api->uptime(r); });  // reads storage: on a worker
  router.add(
      "GET", paths[4], [api](const Request& r) { return api->alerts(r); }, http::Runs::on_io_thread);
  router.add(
      "GET", paths[5], [api](const Request& r) { return api->scheduler(r); }, http::Runs::on_io_thread);
  router.add("GET", paths[6], [api](const Request& r) { return api->trend(r, true); });  // storage: on a worker
  router.add("GET", paths[7], [api](const Request& r) { return api->trend(r, false); });
}

}  // namespace hub
