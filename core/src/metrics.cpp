#include <hub/metrics.hpp>

#include <sstream>

namespace hub {

void Metrics::counter_add(const std::string& name, double delta) {
  std::lock_guard lock(mutex_);
  counters_[name] += delta;
}

void Metrics::gauge_set(const std::string& name, double value) {
  std::lock_guard lock(mutex_);
  gauges_[name] = value;
}

void Metrics::observe(const std::string& name, double value) {
  std::lock_guard lock(mutex_);
  Summary& summary = summaries_[name];
  summary.count += 1;
  summary.sum += value;
}

double Metrics::value(const std::string& name) const {
  std::lock_guard lock(mutex_);
  if (auto it = counters_.find(name); it != counters_.end()) return it->second;
  if (auto it = gauges_.find(name); it != gauges_.end()) return it->second;
  return 0;
}

std::string Metrics::prometheus_text() const {
  std::lock_guard lock(mutex_);
  std::ostringstream out;
  for (const auto& [name, value] : counters_) out << "# TYPE " << name << " counter\n" << name << ' ' << value << '\n';
  for (const auto& [name, value] : gauges_) out << "# TYPE " << name << " gauge\n" << name << ' ' << value << '\n';
  for (const auto& [name, summary] : summaries_)
    out << "# TYPE " << name << " summary\n" << name << "_count " << summary.count << '\n' << name << "_sum " << summary.sum << '\n';
  return out.str();
}

std::string metric_name(const std::string& raw) {
  std::string name = raw;
  for (char& c : name)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == ':')) c = '_';
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0]))) name.insert(0, "_");
  return name;
}

}  // namespace hub
