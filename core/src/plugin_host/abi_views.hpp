// Borrowed C views of the core's strings, for handing to plugins. They live
// only as long as the strings they view.
#pragma once

#include <hub/plugin_api.h>

#include <string>
#include <utility>
#include <vector>

namespace hub {

inline hub_str str_view(const std::string& text) {
  return hub_str{text.data(), text.size()};
}

inline std::vector<hub_kv> kv_views(const std::vector<std::pair<std::string, std::string>>& pairs) {
  std::vector<hub_kv> views;
  views.reserve(pairs.size());
  for (const auto& [key, value] : pairs) views.push_back({str_view(key), str_view(value)});
  return views;
}

}  // namespace hub
