// ErrorDNA: an error's fingerprint, category and severity, the same as the Python package's
// (central_hub.error_dna) for the same error. The rules are one data file, built in here and shipped
// there (python/central_hub/error_dna_rules.json); tests/errordna/fingerprints.json holds the cases
// both languages check.
//
//   hub::ErrorDNA dna;
//   hub::ErrorClassifier classifier;
//   try { process(); } catch (const std::exception& e) {
//     hub::ErrorPattern pattern = dna.analyze_error(e, hub::ErrorDNA::capture_stack());
//     log.error("Trading error: {}", classifier.classify(pattern).to_string());
//   }
#pragma once

#include <nlohmann/json.hpp>

#include <cstddef>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hub {

// One stack frame; a stack is outermost first. `module` is the library or executable (C++) or the
// module (Python); in_app is empty when not known.
struct Frame {
  std::string module;
  std::string function;
  std::string file;
  int line = 0;
  std::optional<bool> in_app;

  std::string key() const { return module + ":" + function; }
  // {module, function, file, line, in_app}: what POST /errors takes.
  nlohmann::json to_json() const;
  // Reads to_json()'s shape back; nullopt when `frame` is not one.
  static std::optional<Frame> from_json(const nlohmann::json& frame);
};

struct ErrorPattern {
  std::string fingerprint;  // 32 hex digits
  std::string type;         // normalized: no ABI tags, no inline namespaces
  std::string message;
  std::string parameterized_message;
  std::vector<Frame> frames;  // the normalized in-app frames the fingerprint is made of
  std::vector<Frame> stack;   // every frame, as given

  // What POST /errors and structured logs carry: fingerprint, type, message,
  // parameterized_message and the stack's frames.
  nlohmann::json to_json() const;
};

struct Classification {
  std::string category;  // network, timeout, database, validation, authentication, resource_exhaustion, dependency_down, bug
  std::string severity;  // warning, error or critical
  size_t rule = 0;       // which rule matched: the service's own first, then the built-in ones

  std::string to_string() const { return category + " (" + severity + ")"; }
};

class ErrorDNA {
 public:
  ErrorDNA();                                      // the built-in rules
  explicit ErrorDNA(const nlohmann::json& rules);  // the same shape as error_dna_rules.json

  // An error given as data: what other languages send to the hub.
  ErrorPattern analyze(std::string_view type, std::string_view message, const std::vector<Frame>& stack = {}) const;
  // A caught exception: its dynamic type, demangled, and what(). C++ exceptions carry no stack:
  // pass one captured where it was thrown, or capture_stack() where it is caught.
  ErrorPattern analyze_error(const std::exception& error, const std::vector<Frame>& stack = {}) const;

  std::string parameterize(std::string message) const;
  std::string normalize_type(std::string type) const;
  std::string normalize_function(std::string function) const;

  // The calling thread's stack, outermost first, without this function's frame and `skip` more:
  // glibc's backtrace, named from each module's symbol table (local symbols too, such as the ".cold"
  // clone GCC moves a catch block into) or else its dynamic symbols, demangled. A frame is in-app
  // when it is in the executable; set in_app yourself to count a library of your own.
  static std::vector<Frame> capture_stack(int skip = 0);
  static std::string demangle(const char* name);

 private:
  struct Rules;
  std::shared_ptr<const Rules> rules_;
};

// A classification rule: `types` and `messages` are regular expressions, matched case-insensitively
// anywhere in the type and the message; an empty one matches nothing; a rule with both empty
// matches everything.
struct ClassificationRule {
  std::string category;
  std::string severity = "error";
  std::string types;
  std::string messages;
};

class ErrorClassifier {
 public:
  // `own` rules come before the built-in ones. Throws std::invalid_argument for a category that is
  // not one of the eight, or a regular expression that does not compile.
  explicit ErrorClassifier(const std::vector<ClassificationRule>& own = {});
  Classification classify(const ErrorPattern& pattern) const;

 private:
  struct Compiled;
  std::shared_ptr<const std::vector<Compiled>> rules_;
};

// The built-in rules, as error_dna_rules.json has them.
const nlohmann::json& builtin_error_dna_rules();

}  // namespace hub
