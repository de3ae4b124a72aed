// The dashboard's files as hubd serves them under /ui/, built into the binary (dashboard/).
#pragma once

#include <span>
#include <string_view>

namespace hub::dashboard {

struct Asset {
  std::string_view path;  // under /ui/: "index.html", "vendor/uPlot.esm.js"
  std::string_view content_type;
  std::string_view body;
};

// Every file; none when hubd was built with -DHUB_DASHBOARD=OFF.
std::span<const Asset> assets();

}  // namespace hub::dashboard
