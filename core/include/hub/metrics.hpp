// Counters, gauges and histogram summaries, named by whoever records them and
// served by GET /metrics in Prometheus' text format. Safe from any thread.
#pragma once

#include <map>
#include <mutex>
#include <string>

namespace hub {

class Metrics {
 public:
  void counter_add(const std::string& name, double delta);
  void gauge_set(const std::string& name, double value);
  void observe(const std::string& name, double value);
  double value(const std::string& name) const;  // a counter's or gauge's value; 0 if unknown
  std::string prometheus_text() const;

 private:
  struct Summary {
    double count = 0, sum = 0;
  };
  mutable std::mutex mutex_;
  std::map<std::string, double> counters_, gauges_;
  std::map<std::string, Summary> summaries_;
};

// Metric names as Prometheus accepts them: [a-zA-Z_:][a-zA-Z0-9_:]*.
std::string metric_name(const std::string& raw);

}  // namespace hub
