#include "rule_pattern.hpp"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <stdexcept>

namespace hub::errordna {

namespace {

// Match data for one thread: code is shared between threads, match data is not.
struct MatchData {
  pcre2_match_data* data = pcre2_match_data_create(16, nullptr);
  ~MatchData() { pcre2_match_data_free(data); }
};

pcre2_match_data* thread_match_data() {
  thread_local MatchData mine;
  return mine.data;
}

}  // namespace

struct RulePattern::Code {
  pcre2_code* code = nullptr;
  ~Code() { pcre2_code_free(code); }
};

RulePattern::RulePattern(const std::string& pattern, bool caseless) {
  auto made = std::make_shared<Code>();
  int error = 0;
  PCRE2_SIZE offset = 0;
  made->code =
      pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(), caseless ? PCRE2_CASELESS : 0, &error, &offset, nullptr);
  if (!made->code) {
    PCRE2_UCHAR message[256];
    pcre2_get_error_message(error, message, sizeof message);
    throw std::invalid_argument("ErrorDNA rule /" + pattern + "/ does not compile: " + reinterpret_cast<const char*>(message) +
                                " at offset " + std::to_string(offset));
  }
  pcre2_jit_compile(made->code, PCRE2_JIT_COMPLETE);  // without a JIT (some platforms), the interpreter runs it
  code_ = std::move(made);
}

bool RulePattern::search(std::string_view text) const {
  return pcre2_match(code_->code, reinterpret_cast<PCRE2_SPTR>(text.data()), text.size(), 0, 0, thread_match_data(), nullptr) >= 0;
}

std::string RulePattern::replace_all(const std::string& text, const std::string& with) const {
  pcre2_match_data* data = thread_match_data();
  const auto* subject = reinterpret_cast<PCRE2_SPTR>(text.data());
  const uint32_t options = PCRE2_SUBSTITUTE_GLOBAL | PCRE2_SUBSTITUTE_LITERAL | PCRE2_SUBSTITUTE_OVERFLOW_LENGTH;
  std::string out(text.size() + 64, '\0');
  for (int attempt = 0; attempt < 2; ++attempt) {
    PCRE2_SIZE length = out.size();
    const int result =
        pcre2_substitute(code_->code, subject, text.size(), 0, options, data, nullptr, reinterpret_cast<PCRE2_SPTR>(with.data()),
                         with.size(), reinterpret_cast<PCRE2_UCHAR*>(out.data()), &length);
    if (result >= 0) {
      out.resize(length);
      return out;
    }
    if (result != PCRE2_ERROR_NOMEMORY) break;
    out.resize(length);  // the length it needs, told by PCRE2_SUBSTITUTE_OVERFLOW_LENGTH
  }
  return text;  // a match limit reached: the text is kept as it is rather than half-replaced
}

}  // namespace hub::errordna
