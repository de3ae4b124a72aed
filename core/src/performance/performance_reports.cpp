#include "performance_reports.hpp"

#include "basics/time_text.hpp"

#include <cmath>

namespace hub::performance {

namespace {

std::vector<double> bounds_seconds() {
  std::vector<double> out;
  for (double ms : kBoundsMs) out.push_back(ms / 1000);
  return out;
}

}  // namespace

double percentile_ms(const std::array<uint64_t, kBuckets>& buckets, uint64_t count, double fraction) {
  if (count == 0) return 0;
  const double rank = fraction * static_cast<double>(count);
  double below = 0;
  for (size_t i = 0; i < kBuckets; ++i) {
    const double in = static_cast<double>(buckets[i]);
    if (below + in >= rank && in > 0) {
      const double low = i == 0 ? 0 : kBoundsMs[i - 1];
      if (i == kBuckets - 1) return low;  // above the last bound: that bound is all that is known
      return low + (kBoundsMs[i] - low) * (rank - below) / in;
    }
    below += in;
  }
  return kBoundsMs.back();
}

PerformanceReports::PerformanceReports(std::shared_ptr<Clock> clock, Metrics& metrics) : clock_(std::move(clock)), metrics_(metrics) {
  metrics_.describe("hub_operation_duration_seconds", Metrics::Type::histogram,
                    "How long services' operations took, as their PerformanceTrackers report them (POST /performance).");
  metrics_.describe("hub_performance_dropped_total", Metrics::Type::counter,
                    "Reported operations dropped past the cap of 5,000 (service, operation) pairs.");
}

size_t PerformanceReports::add(const std::string& service, const std::vector<OperationReport>& operations) {
  std::lock_guard lock(mutex_);
  const int64_t now = clock_->now_unix_us();
  size_t dropped = 0;
  static const std::vector<double> seconds = bounds_seconds();
  for (const OperationReport& report : operations) {
    const auto key = std::make_pair(service, report.operation);
    auto found = totals_.find(key);
    if (found == totals_.end()) {
      if (totals_.size() >= kMaxOperations) {
        ++dropped;
        continue;
      }
      found = totals_.emplace(key, Totals{}).first;
    }
    Totals& totals = found->second;
    for (size_t i = 0; i < kBuckets; ++i) totals.buckets[i] += report.buckets[i];
    totals.count += report.count;
    totals.sum_ms += report.sum_ms;
    totals.last_report_us = now;
    unsaved_.insert(key);
    metrics_.histogram_add("hub_operation_duration_seconds", seconds, {report.buckets.begin(), report.buckets.end()}, report.sum_ms / 1000,
                           {{"service", service}, {"operation", report.operation}});
  }
  if (dropped) metrics_.counter_add("hub_performance_dropped_total", static_cast<double>(dropped));
  return dropped;
}

nlohmann::json PerformanceReports::list(const std::string& service) const {
  std::lock_guard lock(mutex_);
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [key, totals] : totals_) {
    if (!service.empty() && key.first != service) continue;
    out[key.first][key.second] = {{"count", totals.count},
                                  {"sum_ms", totals.sum_ms},
                                  {"mean_ms", totals.count ? totals.sum_ms / static_cast<double>(totals.count) : 0.0},
                                  {"p50_ms", percentile_ms(totals.buckets, totals.count, 0.50)},
                                  {"p95_ms", percentile_ms(totals.buckets, totals.count, 0.95)},
                                  {"p99_ms", percentile_ms(totals.buckets, totals.count, 0.99)},
                                  {"buckets", totals.buckets},
                                  {"last_report", rfc3339_utc(totals.last_report_us)}};
  }
  return out;
}

size_t PerformanceReports::restore(const std::vector<OperationTimingRecord>& stored) {
  std::lock_guard lock(mutex_);
  static const std::vector<double> seconds = bounds_seconds();
  size_t unreadable = 0;
  for (const OperationTimingRecord& record : stored) {
    if (totals_.size() >= kMaxOperations) break;
    const nlohmann::json buckets = nlohmann::json::parse(record.buckets, nullptr, false);
    Totals totals{.count = record.count, .sum_ms = record.sum_ms, .last_report_us = record.last_report_unix_us};
    bool readable = buckets.is_array() && buckets.size() == kBuckets && std::isfinite(record.sum_ms) && record.sum_ms >= 0;
    uint64_t counted = 0;
    for (size_t i = 0; readable && i < kBuckets; ++i) {
      readable = buckets[i].is_number_unsigned();
      if (readable) counted += totals.buckets[i] = buckets[i].get<uint64_t>();
    }
    if (!readable || counted != record.count) {
      ++unreadable;
      continue;
    }
    totals_.insert_or_assign({record.service, record.operation}, totals);
    metrics_.histogram_add("hub_operation_duration_seconds", seconds, {totals.buckets.begin(), totals.buckets.end()}, totals.sum_ms / 1000,
                           {{"service", record.service}, {"operation", record.operation}});
  }
  return unreadable;
}

void PerformanceReports::save(PerformanceStore& store) {
  std::vector<OperationTimingRecord> records;
  {
    std::lock_guard lock(mutex_);
    for (const auto& key : unsaved_) {
      const Totals& totals = totals_.at(key);
      records.push_back({key.first, key.second, nlohmann::json(totals.buckets).dump(), totals.count, totals.sum_ms, totals.last_report_us});
    }
    unsaved_.clear();
  }
  if (records.empty()) return;
  try {
    store.save_operation_timings(records);
  } catch (...) {
    std::lock_guard lock(mutex_);
    for (const OperationTimingRecord& record : records) unsaved_.insert({record.service, record.operation});
    throw;
  }
}

}  // namespace hub::performance
