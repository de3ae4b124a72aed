#include <hub/client.hpp>
#include <hub/performance_tracker.hpp>

#include "background_flush.hpp"
#include "connection.hpp"
#include "hub_session.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <mutex>

namespace hub {

namespace {

constexpr size_t kBuckets = PerformanceTracker::kBoundsMs.size() + 1;

struct Histogram {
  std::array<uint64_t, kBuckets> buckets{};
  uint64_t count = 0;
  double sum_ms = 0;

  void add(double ms) {
    const auto bound = std::lower_bound(PerformanceTracker::kBoundsMs.begin(), PerformanceTracker::kBoundsMs.end(), ms);
    ++buckets[static_cast<size_t>(bound - PerformanceTracker::kBoundsMs.begin())];
    ++count;
    sum_ms += ms;
  }
  void merge(const Histogram& other) {
    for (size_t i = 0; i < kBuckets; ++i) buckets[i] += other.buckets[i];
    count += other.count;
    sum_ms += other.sum_ms;
  }
  // The duration below which `fraction` of them fell, interpolated within its bucket (as the hub does).
  double percentile(double fraction) const {
    if (count == 0) return 0;
    const double rank = fraction * static_cast<double>(count);
    double below = 0;
    for (size_t i = 0; i < kBuckets; ++i) {
      const double in = static_cast<double>(buckets[i]);
      if (in > 0 && below + in >= rank) {
        const double low = i == 0 ? 0 : PerformanceTracker::kBoundsMs[i - 1];
        if (i == kBuckets - 1) return low;
        return low + (PerformanceTracker::kBoundsMs[i] - low) * (rank - below) / in;
      }
      below += in;
    }
    return PerformanceTracker::kBoundsMs.back();
  }
};

constexpr size_t kMaxOperationsPerReport = 1000;  // the hub's limit for one POST /performance

}  // namespace

struct PerformanceTracker::Impl {
  std::string service;
  PerformanceTrackerOptions options;
  client::Connection connection;
  mutable std::mutex mutex;
  std::map<std::string, Histogram, std::less<>> totals;   // since this tracker started: what stats() shows
  std::map<std::string, Histogram, std::less<>> pending;  // not yet taken by the hub
  uint64_t dropped = 0;
  std::string last_error;
  std::mutex sending;  // one report in flight: a report is never sent twice
  std::unique_ptr<client::BackgroundFlush> background;

  Impl(std::string service_name, PerformanceTrackerOptions given)
      : service(std::move(service_name)),
        options(std::move(given)),
        connection(options.hub_url, client::from_environment(options.token, "HUB_TOKEN"),
                   client::from_environment(options.ca_file, "HUB_CA_FILE"), options.request_timeout) {
    options.max_operations = std::min(options.max_operations, kMaxOperationsPerReport);  // one report holds them all
  }

  bool flush() {
    std::lock_guard in_flight(sending);
    std::map<std::string, Histogram, std::less<>> report;
    {
      std::lock_guard lock(mutex);
      report.swap(pending);
    }
    if (report.empty()) return true;
    nlohmann::json operations = nlohmann::json::array();
    for (const auto& [name, histogram] : report)
      operations.push_back({{"operation", name}, {"buckets", histogram.buckets}, {"count", histogram.count}, {"sum_ms", histogram.sum_ms}});
    const nlohmann::json body = {{"service", service}, {"bounds_ms", kBoundsMs}, {"operations", std::move(operations)}};
    client::Reply reply;
    try {
      reply = connection.exchange("POST", "/performance", "application/json", body.dump(), "application/json");
    } catch (const ClientError& error) {
      reply = {0, error.what()};
    }
    std::lock_guard lock(mutex);
    if (reply.status >= 200 && reply.status < 300) {
      last_error.clear();
      return true;
    }
    last_error = "POST /performance: " + (reply.status ? std::to_string(reply.status) + " " : std::string()) + reply.body.substr(0, 500);
    if (client::transient(reply.status))
      for (const auto& [name, histogram] : report) pending[name].merge(histogram);  // kept: merged with what comes next
    return false;
  }
};

PerformanceTracker::Measurement::Measurement(PerformanceTracker* tracker, std::string_view operation)
    : tracker_(tracker), operation_(operation), started_(std::chrono::steady_clock::now()) {}

PerformanceTracker::Measurement::Measurement(Measurement&& other) noexcept
    : tracker_(std::exchange(other.tracker_, nullptr)), operation_(std::move(other.operation_)), started_(other.started_) {}

PerformanceTracker::Measurement::~Measurement() {
  if (tracker_) tracker_->record(operation_, std::chrono::steady_clock::now() - started_);
}

PerformanceTracker::PerformanceTracker(std::string service_name, PerformanceTrackerOptions options)
    : impl_(std::make_unique<Impl>(std::move(service_name), std::move(options))) {
  impl_->background = std::make_unique<client::BackgroundFlush>([impl = impl_.get()] { impl->flush(); }, impl_->options.interval);
}

PerformanceTracker::~PerformanceTracker() {
  impl_->background.reset();  // its last flush sends what is left
}

PerformanceTracker::Measurement PerformanceTracker::measure(std::string_view operation) {
  return Measurement(this, operation);
}

void PerformanceTracker::record(std::string_view operation, std::chrono::duration<double, std::milli> took) {
  const double ms = std::max(0.0, took.count());
  std::lock_guard lock(impl_->mutex);
  auto total = impl_->totals.find(operation);
  if (total == impl_->totals.end()) {
    if (impl_->totals.size() >= impl_->options.max_operations) {
      ++impl_->dropped;
      return;
    }
    total = impl_->totals.emplace(std::string(operation), Histogram{}).first;
  }
  total->second.add(ms);
  auto pending = impl_->pending.find(operation);
  if (pending == impl_->pending.end()) pending = impl_->pending.emplace(std::string(operation), Histogram{}).first;
  pending->second.add(ms);
}

std::map<std::string, PerformanceTracker::Stats> PerformanceTracker::stats() const {
  std::lock_guard lock(impl_->mutex);
  std::map<std::string, Stats> out;
  for (const auto& [name, histogram] : impl_->totals)
    out[name] = {histogram.count, histogram.count ? histogram.sum_ms / static_cast<double>(histogram.count) : 0.0,
                 histogram.percentile(0.50), histogram.percentile(0.95), histogram.percentile(0.99)};
  return out;
}

bool PerformanceTracker::flush() {
  return impl_->flush();
}

uint64_t PerformanceTracker::dropped() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->dropped;
}

std::string PerformanceTracker::last_error() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->last_error;
}

}  // namespace hub
