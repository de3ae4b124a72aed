#include "logging.hpp"

#include "json_text.hpp"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>

#include <chrono>
#include <ctime>

namespace hub {

namespace {

// One JSON object per line, for log shippers; spdlog's patterns cannot escape.
class JsonFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    using namespace std::chrono;
    const auto since_epoch = msg.time.time_since_epoch();
    const std::time_t seconds = duration_cast<std::chrono::seconds>(since_epoch).count();
    const long micros = static_cast<long>(duration_cast<microseconds>(since_epoch).count() % 1'000'000);
    std::tm utc{};
    gmtime_r(&seconds, &utc);
    char time[40];
    std::strftime(time, sizeof time, "%Y-%m-%dT%H:%M:%S", &utc);
    char fraction[16];
    std::snprintf(fraction, sizeof fraction, ".%06ldZ", micros);
    auto append = [&dest](std::string_view text) { dest.append(text.data(), text.data() + text.size()); };
    append("{\"time\":\"");
    append(time);
    append(fraction);
    append("\",\"level\":\"");
    const auto level = spdlog::level::to_string_view(msg.level);
    append(std::string_view(level.data(), level.size()));
    append("\",\"logger\":");
    append(json_quote(std::string_view(msg.logger_name.data(), msg.logger_name.size())));
    append(",\"message\":");
    append(json_quote(std::string_view(msg.payload.data(), msg.payload.size())));
    append("}\n");
  }
  std::unique_ptr<spdlog::formatter> clone() const override { return std::make_unique<JsonFormatter>(); }
};

}  // namespace

std::shared_ptr<spdlog::logger> make_logger(const LoggingSettings& settings, const std::string& name) {
  auto sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
  if (settings.format == LoggingSettings::Format::json)
    sink->set_formatter(std::make_unique<JsonFormatter>());
  else
    sink->set_formatter(std::make_unique<spdlog::pattern_formatter>("%Y-%m-%d %H:%M:%S.%e %^%-5l%$ [%n] %v"));
  auto logger = std::make_shared<spdlog::logger>(name, sink);
  logger->set_level(spdlog::level::from_str(settings.level));
  logger->flush_on(spdlog::level::warn);
  return logger;
}

}  // namespace hub
