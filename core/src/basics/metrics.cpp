#include <hub/metrics.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>

namespace hub {

namespace {

const char* type_name(Metrics::Type type) {
  switch (type) {
    case Metrics::Type::counter:
      return "counter";
    case Metrics::Type::gauge:
      return "gauge";
    case Metrics::Type::histogram:
      return "histogram";
    default:
      return "summary";
  }
}

// Label values and help text are escaped as the exposition format asks; label names sanitized.
std::string escaped(const std::string& text, bool quotes) {
  std::string out;
  for (char c : text) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '\n')
      out += "\\n";
    else if (c == '"' && quotes)
      out += "\\\"";
    else
      out += c;
  }
  return out;
}

std::string label_text(const Metrics::Labels& labels) {
  std::string text;
  for (const auto& [name, value] : labels) {
    std::string label = metric_name(name);
    std::replace(label.begin(), label.end(), ':', '_');  // colons are for metric names only
    text += (text.empty() ? "" : ",") + label + "=\"" + escaped(value, true) + "\"";
  }
  return text;
}

// The shortest text that reads back as the same double.
std::string number(double value) {
  std::array<char, 32> buffer{};
  const auto [end, error] = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value);
  return error == std::errc() ? std::string(buffer.data(), end) : "NaN";
}

void sample(std::string& out, const std::string& name, const std::string& labels, double value) {
  out += name;
  if (!labels.empty()) out += "{" + labels + "}";
  out += " " + number(value) + "\n";
}

}  // namespace

void Metrics::describe(const std::string& family, Type type, const std::string& help) {
  std::lock_guard lock(mutex_);
  Family& described = families_[metric_name(family)];
  if (described.series.empty()) described.type = type;
  described.help = help;
}

Metrics::Series* Metrics::series(const std::string& family, Type type, const Labels& labels) {
  const auto drop = [this]() -> Series* {
    ++dropped_;
    return nullptr;
  };
  const std::string name = metric_name(family);
  auto found = families_.find(name);
  if (found == families_.end()) {
    if (series_count_ >= kMaxSeries) return drop();
    found = families_.emplace(name, Family{type, "Recorded by the hub or a plugin; no description was given.", {}}).first;
  }
  Family& target = found->second;
  if (target.type != type) return drop();
  const std::string key = label_text(labels);
  auto existing = target.series.find(key);
  if (existing != target.series.end()) return &existing->second;
  if (series_count_ >= kMaxSeries) return drop();
  ++series_count_;
  return &target.series[key];
}

void Metrics::counter_add(const std::string& family, double delta, const Labels& labels) {
  std::lock_guard lock(mutex_);
  if (Series* found = series(family, Type::counter, labels); found && delta >= 0) found->value += delta;
}

void Metrics::gauge_set(const std::string& family, double value, const Labels& labels) {
  std::lock_guard lock(mutex_);
  if (Series* found = series(family, Type::gauge, labels)) found->value = value;
}

void Metrics::counter_set(const std::string& family, double value, const Labels& labels) {
  std::lock_guard lock(mutex_);
  if (Series* found = series(family, Type::counter, labels)) found->value = value;
}

void Metrics::observe(const std::string& family, double value, const Labels& labels) {
  std::lock_guard lock(mutex_);
  if (Series* found = series(family, Type::summary, labels)) {
    found->count += 1;
    found->value += value;
  }
}

void Metrics::histogram_add(const std::string& family, const std::vector<double>& bounds, const std::vector<uint64_t>& counts, double sum,
                            const Labels& labels) {
  std::lock_guard lock(mutex_);
  if (counts.size() != bounds.size() + 1) {
    ++dropped_;
    return;
  }
  auto described = families_.find(metric_name(family));
  if (described != families_.end() && !described->second.bounds.empty() && described->second.bounds != bounds) {
    ++dropped_;
    return;
  }
  Series* found = series(family, Type::histogram, labels);
  if (!found) return;
  Family& target = families_.at(metric_name(family));
  if (target.bounds.empty()) target.bounds = bounds;
  if (found->buckets.empty()) found->buckets.assign(counts.size(), 0);
  for (size_t i = 0; i < counts.size(); ++i) {
    found->buckets[i] += counts[i];
    found->count += static_cast<double>(counts[i]);
  }
  found->value += sum;
}

double Metrics::value(const std::string& family, const Labels& labels) const {
  std::lock_guard lock(mutex_);
  auto found = families_.find(metric_name(family));
  if (found == families_.end()) return 0;
  auto series = found->second.series.find(label_text(labels));
  if (series == found->second.series.end()) return 0;
  const Type type = found->second.type;
  return type == Type::summary || type == Type::histogram ? series->second.count : series->second.value;
}

std::string Metrics::prometheus_text() const {
  std::lock_guard lock(mutex_);
  std::string out;
  const auto family_lines = [&out](const std::string& name, const std::string& help, const char* type) {
    out += "# HELP " + name + " " + escaped(help, false) + "\n# TYPE " + name + " " + type + "\n";
  };
  for (const auto& [name, family] : families_) {
    if (family.series.empty()) continue;
    family_lines(name, family.help, type_name(family.type));
    for (const auto& [labels, series] : family.series) {
      if (family.type == Type::histogram) {
        uint64_t below = 0;  // buckets are cumulative in the exposition format
        for (size_t i = 0; i < series.buckets.size(); ++i) {
          below += series.buckets[i];
          const std::string le = "le=\"" + (i < family.bounds.size() ? number(family.bounds[i]) : std::string("+Inf")) + "\"";
          sample(out, name + "_bucket", labels.empty() ? le : labels + "," + le, static_cast<double>(below));
        }
        sample(out, name + "_sum", labels, series.value);
        sample(out, name + "_count", labels, series.count);
        continue;
      }
      if (family.type != Type::summary) {
        sample(out, name, labels, series.value);
        continue;
      }
      sample(out, name + "_count", labels, series.count);
      sample(out, name + "_sum", labels, series.value);
    }
  }
  family_lines("hub_metrics_dropped_total", "Metric updates dropped: past the series cap, or of a family used as another type.", "counter");
  sample(out, "hub_metrics_dropped_total", "", dropped_);
  return out;
}

std::string metric_name(const std::string& raw) {
  std::string name = raw;
  for (char& c : name)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == ':')) c = '_';
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0]))) name.insert(0, "_");
  return name;
}

}  // namespace hub
