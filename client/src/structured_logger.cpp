#include <hub/structured_logger.hpp>

#include <spdlog/logger.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>

#include <chrono>
#include <cstdio>
#include <ctime>

namespace hub {

namespace {

thread_local std::string correlation;

std::string utc_now() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  const auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm parts{};
  gmtime_r(&seconds, &parts);
  char text[96];  // room for any int GCC imagines in each field: no truncation warning
  std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday,
                parts.tm_hour, parts.tm_min, parts.tm_sec, static_cast<int>(millis));
  return text;
}

}  // namespace

CorrelationScope::CorrelationScope(std::string correlation_id) : previous_(std::move(correlation)) {
  correlation = std::move(correlation_id);
}

CorrelationScope::~CorrelationScope() {
  correlation = std::move(previous_);
}

const std::string& CorrelationScope::current() {
  return correlation;
}

StructuredLogger::StructuredLogger(std::string service, StructuredLoggerOptions options)
    : service_(std::move(service)), fields_(options.fields.is_object() ? options.fields : nlohmann::json::object()) {
  spdlog::sink_ptr sink;
  if (options.file.empty())
    sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  else
    sink = std::make_shared<spdlog::sinks::basic_file_sink_mt>(options.file);           // throws spdlog_ex naming the file
  logger_ = std::make_shared<spdlog::logger>("central_hub.service." + service_, sink);  // the Python package's name
  logger_->set_pattern("%v");                                                           // the line is the JSON; spdlog adds nothing
  logger_->set_level(spdlog::level::from_str(options.level));
}

StructuredLogger::~StructuredLogger() {
  logger_->flush();
}

void StructuredLogger::flush() {
  logger_->flush();
}

std::string StructuredLogger::line(std::string_view level, std::string_view message, const nlohmann::json& fields) const {
  nlohmann::json out = {{"time", utc_now()},         {"level", level},
                        {"service", service_},       {"message", message},
                        {"logger", logger_->name()}, {"correlation_id", correlation}};
  const auto reserved = [](const std::string& key) {
    return key == "time" || key == "level" || key == "service" || key == "message" || key == "logger" || key == "correlation_id";
  };
  for (const nlohmann::json* extra : {&fields_, &fields})  // the call's fields over the logger's
    if (extra->is_object())
      for (const auto& [key, value] : extra->items())
        if (!reserved(key)) out[key] = value;
  // Invalid UTF-8 in a message or field is replaced, never a throw from a log call.
  return out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void StructuredLogger::write(int level, std::string_view name, std::string_view message, const nlohmann::json& fields) {
  const auto spdlog_level = static_cast<spdlog::level::level_enum>(level);
  if (!logger_->should_log(spdlog_level)) return;
  logger_->log(spdlog_level, line(name, message, fields));
}

void StructuredLogger::debug(std::string_view message, const nlohmann::json& fields) {
  write(spdlog::level::debug, "debug", message, fields);
}
void StructuredLogger::info(std::string_view message, const nlohmann::json& fields) {
  write(spdlog::level::info, "info", message, fields);
}
void StructuredLogger::warn(std::string_view message, const nlohmann::json& fields) {
  write(spdlog::level::warn, "warning", message, fields);
}
void StructuredLogger::error(std::string_view message, const nlohmann::json& fields) {
  write(spdlog::level::err, "error", message, fields);
}
void StructuredLogger::critical(std::string_view message, const nlohmann::json& fields) {
  write(spdlog::level::critical, "critical", message, fields);
}

void StructuredLogger::error(std::string_view message, const ErrorPattern& pattern, const nlohmann::json& fields) {
  nlohmann::json with = fields.is_object() ? fields : nlohmann::json::object();
  with["error"] = {{"type", pattern.type}, {"message", pattern.message}, {"fingerprint", pattern.fingerprint}};
  write(spdlog::level::err, "error", message, with);
}

}  // namespace hub
