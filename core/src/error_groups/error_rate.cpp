#include "error_rate.hpp"

#include <algorithm>
#include <cmath>

namespace hub::error_groups {

namespace {

int64_t minute_of(int64_t unix_us) {
  return unix_us / 60'000'000;
}

}  // namespace

ErrorRate::ErrorRate(int window_seconds, int half_life_seconds)
    : window_minutes_(std::max(1, (window_seconds + 59) / 60)), decay_(std::pow(0.5, 60.0 / std::max(60, half_life_seconds))) {}

void ErrorRate::add(int64_t now_unix_us, uint64_t count) {
  const int64_t minute = minute_of(now_unix_us);
  advance(minute);
  if (minutes_.empty() || minutes_.back().first != minute) minutes_.emplace_back(minute, 0);
  minutes_.back().second += count;
  if (hour_.empty() || hour_.back().first != minute) hour_.emplace_back(minute, 0);
  hour_.back().second += count;
  while (hour_.front().first <= minute - kHourMinutes) hour_.pop_front();
}

nlohmann::json ErrorRate::last_hour(int64_t now_unix_us) const {
  const int64_t minute = minute_of(now_unix_us);
  nlohmann::json out = nlohmann::json::array();
  for (const auto& [at, count] : hour_)
    if (at > minute - kHourMinutes) out.push_back({at * 60, count});
  return out;
}

// Folds the minutes that left the window into the baseline, the empty ones among them too.
void ErrorRate::advance(int64_t minute) {
  const int64_t edge = minute - window_minutes_;  // minutes up to this one have left the window
  while (!minutes_.empty() && minutes_.front().first <= edge) {
    const auto [left, count] = minutes_.front();
    minutes_.pop_front();
    if (has_baseline_) baseline_ *= std::pow(decay_, static_cast<double>(std::max<int64_t>(0, left - folded_minute_ - 1)));
    baseline_ = has_baseline_ ? baseline_ * decay_ + static_cast<double>(count) * (1 - decay_) : static_cast<double>(count);
    has_baseline_ = true;
    folded_minute_ = left;
  }
  if (has_baseline_ && edge > folded_minute_) {
    baseline_ *= std::pow(decay_, static_cast<double>(edge - folded_minute_));
    folded_minute_ = edge;
  }
}

double ErrorRate::window_rate(int64_t now_unix_us) {
  advance(minute_of(now_unix_us));
  uint64_t total = 0;
  for (const auto& [minute, count] : minutes_) total += count;
  return static_cast<double>(total) / window_minutes_;
}

double ErrorRate::baseline(int64_t now_unix_us) {
  advance(minute_of(now_unix_us));
  return has_baseline_ ? baseline_ : 0.0;
}

nlohmann::json ErrorRate::state() const {
  nlohmann::json minutes = nlohmann::json::array();
  for (const auto& [minute, count] : minutes_) minutes.push_back({minute, count});
  nlohmann::json out = {{"minutes", std::move(minutes)}, {"folded_minute", folded_minute_}};
  if (has_baseline_) out["baseline"] = baseline_;
  return out;
}

bool ErrorRate::restore(const nlohmann::json& state) {
  constexpr size_t kMaxMinutes = 1440;  // a window is at most a day
  if (!state.is_object()) return false;
  const auto minutes = state.find("minutes");
  const auto folded = state.find("folded_minute");
  if (minutes == state.end() || !minutes->is_array() || minutes->size() > kMaxMinutes || folded == state.end() ||
      !folded->is_number_integer())
    return false;
  std::deque<std::pair<int64_t, uint64_t>> read;
  for (const auto& minute : *minutes) {
    if (!minute.is_array() || minute.size() != 2 || !minute[0].is_number_integer() || !minute[1].is_number_unsigned()) return false;
    if (!read.empty() && minute[0].get<int64_t>() <= read.back().first) return false;  // oldest first, each once
    read.emplace_back(minute[0].get<int64_t>(), minute[1].get<uint64_t>());
  }
  const auto baseline = state.find("baseline");
  if (baseline != state.end() && !(baseline->is_number() && std::isfinite(baseline->get<double>()) && baseline->get<double>() >= 0))
    return false;
  minutes_ = std::move(read);
  folded_minute_ = folded->get<int64_t>();
  has_baseline_ = baseline != state.end();
  baseline_ = has_baseline_ ? baseline->get<double>() : 0.0;
  return true;
}

}  // namespace hub::error_groups
