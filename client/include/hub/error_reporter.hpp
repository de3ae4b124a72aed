// ErrorReporter: sends a service's errors to the hub (POST /errors) in batches from a background
// thread, so reporting never blocks the code that failed and a burst costs one request per batch.
// The Python package's central_hub.ErrorReporter sends the same events; the hub fingerprints each
// again with the same rules, so the fingerprints agree.
//
//   hub::ErrorReporter reporter("api-gateway", {.hub_url = "http://central-hub:8001", .version = "3.1.0"});
//   try {
//     process();
//   } catch (const std::exception& e) {
//     hub::ErrorPattern pattern = reporter.report(e);  // ErrorDNA's pattern, with this stack, queued
//   }
//   ...                                                // ~ErrorReporter sends what is queued
#pragma once

#include <hub/error_dna.hpp>

#include <chrono>
#include <cstdint>
#include <exception>
#include <memory>
#include <string>
#include <vector>

namespace hub {

struct ErrorReporterOptions {
  std::string hub_url = "http://127.0.0.1:8001";  // or several, separated by commas (Client)
  std::string token;                              // empty: the environment's HUB_TOKEN (a service:NAME token reports only NAME)
  std::string ca_file;                            // HTTPS: empty means HUB_CA_FILE, else the system's CAs
  std::chrono::milliseconds request_timeout{2000};
  std::string version;                       // the service's version: a rollout's gate counts the errors of its new one
  std::string host;                          // empty: this machine's host name
  std::string instance_id;                   // the registered instance, when there is one
  std::chrono::milliseconds interval{1000};  // a batch goes this often, or at once when batch_size wait
  size_t batch_size = 200;
  size_t max_queue = 10'000;  // beyond it the oldest events are dropped, counted
};

class ErrorReporter {
 public:
  explicit ErrorReporter(std::string service, ErrorReporterOptions options = {}, ErrorDNA dna = ErrorDNA());
  ~ErrorReporter();  // sends what is queued (best effort: the hub may be gone)
  ErrorReporter(const ErrorReporter&) = delete;
  ErrorReporter& operator=(const ErrorReporter&) = delete;

  // Analyzes `error` with the stack (by default the caller's, captured here: call it in the catch
  // block) and queues it with the thread's correlation id (CorrelationScope); returns its pattern.
  ErrorPattern report(const std::exception& error, const std::vector<Frame>& stack = ErrorDNA::capture_stack(),
                      const std::string& correlation_id = "");
  // Queues an error analyzed elsewhere.
  void report(const ErrorPattern& pattern, const std::string& correlation_id = "");

  // Sends what is queued now, on the caller's thread. True when all of it was taken. A batch the hub
  // did not take stays queued, unless it refused it as wrong (4xx): that one is dropped, counted, and
  // last_error() says why.
  bool flush();
  uint64_t sent() const;
  uint64_t dropped() const;
  std::string last_error() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace hub
