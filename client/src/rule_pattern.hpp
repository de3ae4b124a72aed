// One regular expression of ErrorDNA's rules, compiled once with PCRE2 and its JIT. The rules use
// the subset Python's re (ASCII) and PCRE2 share (error_dna_rules.json says which); PCRE2 runs
// them in a fraction of std::regex's time, and every event the hub takes is fingerprinted with them.
// Text is bytes: \d and \b are ASCII, as Python's re.ASCII, and invalid UTF-8 is no error.
#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace hub::errordna {

class RulePattern {
 public:
  // Throws std::invalid_argument naming the pattern when it does not compile.
  explicit RulePattern(const std::string& pattern, bool caseless = false);

  bool search(std::string_view text) const;
  // Every match replaced by `with`, taken literally.
  std::string replace_all(const std::string& text, const std::string& with) const;

 private:
  struct Code;
  std::shared_ptr<const Code> code_;
};

}  // namespace hub::errordna
