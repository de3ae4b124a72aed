// Fingerprints an error, times an operation and logs a line, with the installed client only. No hub
// listens on port 1: the reporter and tracker keep what they could not send, and the process ends.
#include <hub/error_dna.hpp>
#include <hub/error_reporter.hpp>
#include <hub/performance_tracker.hpp>
#include <hub/structured_logger.hpp>

#include <iostream>

int main() {
  const hub::ErrorPattern pattern = hub::ErrorDNA().analyze("KeyError", "'order-7'");
  hub::ErrorReporter reporter("orders", {.hub_url = "http://127.0.0.1:1", .interval = std::chrono::hours(1)});
  reporter.report(pattern);
  hub::PerformanceTracker tracker("orders", {.hub_url = "http://127.0.0.1:1", .interval = std::chrono::hours(1)});
  tracker.timed("load", [] {});
  hub::StructuredLogger log("orders");
  log.info("consumer ran");
  const bool taken = reporter.flush() || tracker.flush();
  std::cout << pattern.type << " " << pattern.parameterized_message << " " << tracker.stats().at("load").count << " "
            << (taken ? "sent" : "kept") << "\n";
  return 0;
}
