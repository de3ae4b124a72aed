// A health probe for free disk space: healthy above warning_free_percent,
// degraded below it, down below critical_free_percent. The target's endpoint
// names the path to check; without one, the config's `path`.
//
//   - library: disk-space-probe
//     enable:
//       - implementation: disk_space
//         config: {path: /var/lib/postgresql, warning_free_percent: 15, critical_free_percent: 5}
#include <hub/plugin.hpp>

#include <sys/statvfs.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <string>

namespace {

class DiskSpaceProbe {
 public:
  explicit DiskSpaceProbe(const hub::Context& context)
      : host_(context.host),
        path_(context.config.string("path", "/")),
        warning_(context.config.number("warning_free_percent", 15)),
        critical_(context.config.number("critical_free_percent", 5)) {
    if (critical_ < 0 || warning_ > 100 || critical_ > warning_)
      throw hub::Error(HUB_INVALID_ARGUMENT, "need 0 <= critical_free_percent <= warning_free_percent <= 100, got critical " +
                                                 std::to_string(critical_) + " and warning " + std::to_string(warning_));
  }

  hub::ProbeResult check(const hub::ProbeTarget& target, hub::Deadline) {
    const std::string path = target.endpoint().empty() ? path_ : std::string(target.endpoint());
    const auto started = std::chrono::steady_clock::now();
    struct statvfs stats {};
    const int failed = statvfs(path.c_str(), &stats);
    const int64_t latency = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started).count();
    host_.counter_add("checks");
    if (failed) return hub::ProbeResult::down("statvfs " + path + ": " + std::strerror(errno), latency);
    if (stats.f_blocks == 0) return hub::ProbeResult::down(path + " reports a size of zero blocks", latency);

    const double free_percent = 100.0 * static_cast<double>(stats.f_bavail) / static_cast<double>(stats.f_blocks);
    host_.gauge_set("free_percent", free_percent);
    const std::string summary = path + ": " + std::to_string(free_percent).substr(0, 5) + "% free";
    if (free_percent < critical_)
      return hub::ProbeResult::down(summary + ", below the critical " + std::to_string(critical_) + "%", latency);
    if (free_percent < warning_)
      return hub::ProbeResult::degraded(summary + ", below the warning " + std::to_string(warning_) + "%", latency);
    return hub::ProbeResult::healthy(summary, latency);
  }

 private:
  hub::Host host_;
  std::string path_;
  double warning_;
  double critical_;
};

}  // namespace

HUB_PLUGIN(disk_space_probe_plugin, "disk-space-probe", "1.0.0", "Free space on a filesystem path against warning and critical thresholds",
           HUB_HEALTH_PROBE("disk_space", DiskSpaceProbe))
