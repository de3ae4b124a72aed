// The benchmarks' percentiles: nearest rank over a copy of the samples.
#pragma once

#include <algorithm>
#include <vector>

// p in [0, 1]; 0 for no samples.
inline double percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  return values[std::min(values.size() - 1, static_cast<size_t>(p * static_cast<double>(values.size())))];
}
