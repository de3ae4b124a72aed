// Counters, gauges and summaries in families, served by GET /metrics in
// Prometheus' text format (version 0.0.4): every family with its HELP and
// TYPE lines, labels in braces after the name, summaries as _count and _sum.
// Safe from any thread. Bounded: past kMaxSeries label sets the rest are dropped
// and counted, so no caller (a plugin naming metrics after requests) can grow it.
//
//   metrics.describe("hub_alerts_total", hub::Metrics::Type::counter, "Alerts raised, by type.");
//   metrics.counter_add("hub_alerts_total", 1, {{"type", "service_down"}});
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace hub {

class Metrics {
 public:
  enum class Type { counter, gauge, summary, histogram };
  using Labels = std::vector<std::pair<std::string, std::string>>;
  static constexpr size_t kMaxSeries = 10'000;

  // A family's type and the help Prometheus shows. A family used before it is described gets a
  // generic help; a family is one type for good: a use as another type is dropped and counted.
  void describe(const std::string& family, Type type, const std::string& help);
  void counter_add(const std::string& family, double delta, const Labels& labels = {});
  void gauge_set(const std::string& family, double value, const Labels& labels = {});
  // A counter that something else keeps, read at the scrape: `value` never goes down.
  void counter_set(const std::string& family, double value, const Labels& labels = {});
  void observe(const std::string& family, double value, const Labels& labels = {});
  // Adds to a histogram: `counts` per bucket (one per bound, then one above the last), and their
  // sum. A family keeps the bounds of its first use; other bounds are dropped and counted.
  void histogram_add(const std::string& family, const std::vector<double>& bounds, const std::vector<uint64_t>& counts, double sum,
                     const Labels& labels = {});
  // A counter's or gauge's value, or a summary's or histogram's count; 0 if unknown.
  double value(const std::string& family, const Labels& labels = {}) const;
  std::string prometheus_text() const;

 private:
  struct Series {
    double value = 0;               // a counter's or gauge's value; a summary's or histogram's sum
    double count = 0;               // a summary's or histogram's count
    std::vector<uint64_t> buckets;  // a histogram's, per bucket (not cumulative)
  };
  struct Family {
    Type type = Type::gauge;
    std::string help;
    std::map<std::string, Series> series;  // by the label text between the braces
    std::vector<double> bounds;            // a histogram's
  };
  Series* series(const std::string& family, Type type, const Labels& labels);

  mutable std::mutex mutex_;
  std::map<std::string, Family> families_;
  size_t series_count_ = 0;
  double dropped_ = 0;
};

// Metric and label names as Prometheus accepts them: [a-zA-Z_:][a-zA-Z0-9_:]*.
std::string metric_name(const std::string& raw);

}  // namespace hub
