// StructuredLogger: JSON lines through spdlog, the same fields as the Python package's
// (central_hub.structured_logging): time, level, service, message, logger, correlation_id, and the
// call's own fields.
//
//   hub::StructuredLogger log("api-gateway");
//   log.info("WebSocket connection established", {{"user_id", "user123"}, {"latency_ms", 15}});
//   {
//     hub::CorrelationScope request(envelope.correlation_id());   // this thread's lines carry it
//     log.error("order failed", pattern);                          // an ErrorDNA pattern, as "error"
//   }
#pragma once

#include <hub/error_dna.hpp>

#include <nlohmann/json.hpp>

#include <memory>
#include <string>
#include <string_view>

namespace spdlog {
class logger;
}

namespace hub {

struct StructuredLoggerOptions {
  std::string level = "info";                        // trace, debug, info, warn, error, critical, off
  std::string file;                                  // empty: standard error; else this file, appended to
  nlohmann::json fields = nlohmann::json::object();  // on every line: version, host, ...
};

class StructuredLogger {
 public:
  explicit StructuredLogger(std::string service, StructuredLoggerOptions options = {});
  ~StructuredLogger();
  StructuredLogger(const StructuredLogger&) = delete;
  StructuredLogger& operator=(const StructuredLogger&) = delete;

  void debug(std::string_view message, const nlohmann::json& fields = nlohmann::json::object());
  void info(std::string_view message, const nlohmann::json& fields = nlohmann::json::object());
  void warn(std::string_view message, const nlohmann::json& fields = nlohmann::json::object());
  void error(std::string_view message, const nlohmann::json& fields = nlohmann::json::object());
  // An error with its ErrorDNA pattern: "error": {type, message, fingerprint}.
  void error(std::string_view message, const ErrorPattern& pattern, const nlohmann::json& fields = nlohmann::json::object());
  void critical(std::string_view message, const nlohmann::json& fields = nlohmann::json::object());

  // The line as it would be written (for tests and for sinks of your own).
  std::string line(std::string_view level, std::string_view message, const nlohmann::json& fields) const;
  void flush();

 private:
  void write(int level, std::string_view name, std::string_view message, const nlohmann::json& fields);

  std::string service_;
  nlohmann::json fields_;
  std::shared_ptr<spdlog::logger> logger_;
};

// While it lives, the calling thread's lines carry `correlation_id` (from a MessageEnvelope's
// correlation_id(), a request's X-Correlation-ID); scopes nest, the inner one winning.
class CorrelationScope {
 public:
  explicit CorrelationScope(std::string correlation_id);
  ~CorrelationScope();
  CorrelationScope(const CorrelationScope&) = delete;
  CorrelationScope& operator=(const CorrelationScope&) = delete;
  static const std::string& current();

 private:
  std::string previous_;
};

}  // namespace hub
