#include "logging.hpp"

#include "json_text.hpp"
#include "printable_text.hpp"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>

#include <chrono>
#include <ctime>
#include <mutex>

namespace hub {

namespace {

// A log line carries text from outside the hub (names, authors, probe answers): one
// line it stays, so a newline in a value cannot forge another entry.
constexpr size_t kMaxLoggedMessageBytes = 16 * 1024;

std::string printable_payload(const spdlog::details::log_msg& msg) {
  return printable_text(std::string_view(msg.payload.data(), msg.payload.size()), kMaxLoggedMessageBytes);
}

// The readable lines: spdlog's pattern around the escaped message.
class TextFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    const std::string payload = printable_payload(msg);
    spdlog::details::log_msg escaped = msg;
    escaped.payload = spdlog::string_view_t(payload.data(), payload.size());
    pattern_.format(escaped, dest);
    msg.color_range_start = escaped.color_range_start;  // the color sink reads them from the message it holds
    msg.color_range_end = escaped.color_range_end;
  }
  std::unique_ptr<spdlog::formatter> clone() const override { return std::make_unique<TextFormatter>(); }

 private:
  spdlog::pattern_formatter pattern_{"%Y-%m-%d %H:%M:%S.%e %^%-5l%$ [%n] %v"};
};

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
    append(json_quote(printable_payload(msg)));
    append("}\n");
  }
  std::unique_ptr<spdlog::formatter> clone() const override { return std::make_unique<JsonFormatter>(); }
};

// Hands each formatted line to the embedder's function.
class LineSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  explicit LineSink(LogLines lines) : lines_(std::move(lines)) {}

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t formatted;
    formatter_->format(msg, formatted);
    std::string_view line(formatted.data(), formatted.size());
    if (line.ends_with('\n')) line.remove_suffix(1);
    lines_(line);
  }
  void flush_() override {}

 private:
  LogLines lines_;
};

}  // namespace

std::unique_ptr<spdlog::formatter> make_log_formatter(LoggingSettings::Format format) {
  if (format == LoggingSettings::Format::json) return std::make_unique<JsonFormatter>();
  return std::make_unique<TextFormatter>();
}

std::shared_ptr<spdlog::logger> make_logger(const LoggingSettings& settings, const std::string& name, LogLines lines) {
  spdlog::sink_ptr sink;
  if (lines)
    sink = std::make_shared<LineSink>(std::move(lines));
  else
    sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
  sink->set_formatter(make_log_formatter(settings.format));
  auto logger = std::make_shared<spdlog::logger>(name, sink);
  logger->set_level(spdlog::level::from_str(settings.level));
  logger->flush_on(spdlog::level::warn);
  return logger;
}

}  // namespace hub
