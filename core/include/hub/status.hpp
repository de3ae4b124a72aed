// What the domain (registry, config store, health, balancing) answers when a
// request cannot be carried out: a canonical code, the ABI's (Abseil's) set,
// and one line that says what was wrong. `reason` names the fault more
// precisely where callers tell faults of one code apart ("secret_in_config"
// among invalid arguments). Mapping to HTTP is the API layer's business.
#pragma once

#include <string>
#include <utility>

namespace hub {

enum class Code {
  ok = 0,
  cancelled = 1,
  unknown = 2,
  invalid_argument = 3,
  deadline_exceeded = 4,
  not_found = 5,
  already_exists = 6,
  permission_denied = 7,
  resource_exhausted = 8,
  failed_precondition = 9,
  aborted = 10,
  out_of_range = 11,
  unimplemented = 12,
  internal = 13,
  unavailable = 14,
  data_loss = 15,
  unauthenticated = 16,
};

// "invalid_argument", "not_found", ...
const char* code_name(Code code);

class Status {
 public:
  Status() = default;
  Status(Code code, std::string message, std::string reason = {}) : code_(code), message_(std::move(message)), reason_(std::move(reason)) {}

  bool ok() const { return code_ == Code::ok; }
  explicit operator bool() const { return !ok(); }  // true when something is wrong
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  // The precise name of the fault, or the code's name.
  std::string reason() const { return reason_.empty() ? code_name(code_) : reason_; }

 private:
  Code code_ = Code::ok;
  std::string message_;
  std::string reason_;
};

}  // namespace hub
