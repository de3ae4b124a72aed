#include <hub/error_dna.hpp>

#include "rule_pattern.hpp"

#include <Poco/DigestEngine.h>
#include <Poco/SHA2Engine.h>

#include <cxxabi.h>
#include <dlfcn.h>
#include <elf.h>
#include <execinfo.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <typeinfo>
#include <utility>

namespace hub {

// error_dna_rules.json, built in (error_dna_rules.cpp, generated).
extern const char* const kErrorDnaRules;

namespace {

constexpr const char* kFingerprintPrefix = "errordna/1";

using errordna::RulePattern;

struct Replacement {
  RulePattern pattern;
  std::string with;
};

std::vector<Replacement> replacements(const nlohmann::json& list, bool placeholders) {
  std::vector<Replacement> out;
  for (const auto& each : list) {
    out.push_back({RulePattern(each.at("pattern").get<std::string>()),
                   placeholders ? "<" + each.at("name").get<std::string>() + ">" : each.at("replace").get<std::string>()});
  }
  return out;
}

std::string apply(std::string text, const std::vector<Replacement>& list) {
  for (const auto& each : list) text = each.pattern.replace_all(text, each.with);
  return text;
}

std::string trim(std::string text) {
  const auto first = text.find_first_not_of(" \t");
  if (first == std::string::npos) return "";
  return text.substr(first, text.find_last_not_of(" \t") - first + 1);
}

std::string sha256_prefix(const std::string& text) {
  Poco::SHA2Engine engine(Poco::SHA2Engine::SHA_256);
  engine.update(text);
  return Poco::DigestEngine::digestToHex(engine.digest()).substr(0, 32);
}

// A module's full symbol table (.symtab), local symbols included: GCC moves error paths into
// ".cold" clones whose symbols are local, which dladdr (the dynamic table only) cannot name.
class SymbolTable {
 public:
  static const SymbolTable& of(const std::string& path) {
    static std::mutex mutex;
    static std::map<std::string, std::unique_ptr<SymbolTable>> tables;
    std::lock_guard lock(mutex);
    auto& table = tables[path];
    if (!table) table = std::make_unique<SymbolTable>(path);
    return *table;
  }

  explicit SymbolTable(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    const std::string image((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (image.size() < sizeof(Elf64_Ehdr) || image.compare(0, SELFMAG, ELFMAG) != 0 || image[EI_CLASS] != ELFCLASS64) return;
    const auto* header = reinterpret_cast<const Elf64_Ehdr*>(image.data());
    absolute_ = header->e_type == ET_EXEC;
    if (header->e_shoff == 0 || header->e_shoff + header->e_shnum * sizeof(Elf64_Shdr) > image.size()) return;
    const auto* sections = reinterpret_cast<const Elf64_Shdr*>(image.data() + header->e_shoff);
    for (int i = 0; i < header->e_shnum; ++i) {
      const Elf64_Shdr& table = sections[i];
      if (table.sh_type != SHT_SYMTAB || table.sh_link >= header->e_shnum) continue;
      const Elf64_Shdr& names = sections[table.sh_link];
      if (table.sh_offset + table.sh_size > image.size() || names.sh_offset + names.sh_size > image.size()) return;
      const auto* symbols = reinterpret_cast<const Elf64_Sym*>(image.data() + table.sh_offset);
      for (size_t s = 0; s < table.sh_size / sizeof(Elf64_Sym); ++s) {
        const Elf64_Sym& symbol = symbols[s];
        if (ELF64_ST_TYPE(symbol.st_info) != STT_FUNC || symbol.st_value == 0 || symbol.st_name >= names.sh_size) continue;
        functions_[symbol.st_value] = {symbol.st_size, image.c_str() + names.sh_offset + symbol.st_name};
      }
    }
  }

  // The function holding `address`, or "" when the table does not say.
  std::string name(const void* address, const void* base) const {
    const uint64_t where = reinterpret_cast<uint64_t>(address) - (absolute_ ? 0 : reinterpret_cast<uint64_t>(base));
    auto found = functions_.upper_bound(where);
    if (found == functions_.begin()) return "";
    --found;
    return where < found->first + found->second.first ? found->second.second : "";
  }

 private:
  bool absolute_ = false;
  std::map<uint64_t, std::pair<uint64_t, std::string>> functions_;  // start -> size, mangled name
};

std::string basename_of(const char* path) {
  const std::string text = path ? path : "";
  const auto slash = text.rfind('/');
  return slash == std::string::npos ? text : text.substr(slash + 1);
}

}  // namespace

struct ErrorDNA::Rules {
  size_t max_frames = 5;
  std::vector<Replacement> parameters, types, functions;
};

nlohmann::json Frame::to_json() const {
  nlohmann::json out = {{"module", module}, {"function", function}, {"file", file}, {"line", line}};
  out["in_app"] = in_app ? nlohmann::json(*in_app) : nlohmann::json(nullptr);
  return out;
}

std::optional<Frame> Frame::from_json(const nlohmann::json& frame) {
  if (!frame.is_object()) return std::nullopt;
  Frame read;
  for (auto [key, field] : {std::pair{"module", &read.module}, std::pair{"function", &read.function}, std::pair{"file", &read.file}}) {
    const auto found = frame.find(key);
    if (found == frame.end() || found->is_null()) continue;
    if (!found->is_string()) return std::nullopt;
    *field = found->get<std::string>();
  }
  if (const auto line = frame.find("line"); line != frame.end() && !line->is_null()) {
    if (!line->is_number_integer() || line->get<int64_t>() < 0 || line->get<int64_t>() > INT32_MAX) return std::nullopt;
    read.line = line->get<int>();
  }
  if (const auto in_app = frame.find("in_app"); in_app != frame.end() && !in_app->is_null()) {
    if (!in_app->is_boolean()) return std::nullopt;
    read.in_app = in_app->get<bool>();
  }
  return read;
}

nlohmann::json ErrorPattern::to_json() const {
  nlohmann::json frames_json = nlohmann::json::array();
  for (const auto& frame : stack) frames_json.push_back(frame.to_json());
  return {{"fingerprint", fingerprint},
          {"type", type},
          {"message", message},
          {"parameterized_message", parameterized_message},
          {"frames", std::move(frames_json)}};
}

const nlohmann::json& builtin_error_dna_rules() {
  static const nlohmann::json rules = nlohmann::json::parse(kErrorDnaRules);
  return rules;
}

ErrorDNA::ErrorDNA() : ErrorDNA(builtin_error_dna_rules()) {}

ErrorDNA::ErrorDNA(const nlohmann::json& rules) {
  auto compiled = std::make_shared<Rules>();
  compiled->max_frames = rules.at("max_frames").get<size_t>();
  compiled->parameters = replacements(rules.at("parameters"), true);
  compiled->types = replacements(rules.at("type_normalization"), false);
  compiled->functions = replacements(rules.at("function_normalization"), false);
  rules_ = std::move(compiled);
}

std::string ErrorDNA::parameterize(std::string message) const {
  return apply(std::move(message), rules_->parameters);
}
std::string ErrorDNA::normalize_type(std::string type) const {
  return apply(std::move(type), rules_->types);
}
std::string ErrorDNA::normalize_function(std::string function) const {
  return trim(apply(std::move(function), rules_->functions));
}

ErrorPattern ErrorDNA::analyze(std::string_view type, std::string_view message, const std::vector<Frame>& stack) const {
  ErrorPattern pattern;
  pattern.type = normalize_type(std::string(type));
  pattern.message = std::string(message);
  pattern.parameterized_message = parameterize(pattern.message);
  pattern.stack = stack;
  // The in-app frames; when none is marked, every frame not marked otherwise.
  std::vector<const Frame*> chosen;
  for (const auto& frame : stack)
    if (frame.in_app.value_or(false)) chosen.push_back(&frame);
  if (chosen.empty())
    for (const auto& frame : stack)
      if (frame.in_app.value_or(true)) chosen.push_back(&frame);
  for (const Frame* frame : chosen) {
    Frame normal{.module = frame->module, .function = normalize_function(frame->function)};
    if (pattern.frames.empty() || pattern.frames.back().key() != normal.key()) pattern.frames.push_back(std::move(normal));
  }
  const size_t keep = rules_->max_frames;
  if (pattern.frames.size() > keep) pattern.frames.erase(pattern.frames.begin(), pattern.frames.end() - static_cast<long>(keep));
  std::string text = std::string(kFingerprintPrefix) + "\n" + pattern.type + "\n";
  for (const auto& frame : pattern.frames) text += frame.key() + "\n";
  text += pattern.parameterized_message;
  pattern.fingerprint = sha256_prefix(text);
  return pattern;
}

ErrorPattern ErrorDNA::analyze_error(const std::exception& error, const std::vector<Frame>& stack) const {
  return analyze(demangle(typeid(error).name()), error.what(), stack);
}

std::string ErrorDNA::demangle(const char* name) {
  int status = 0;
  char* readable = abi::__cxa_demangle(name, nullptr, nullptr, &status);
  std::string out = status == 0 && readable ? readable : name;
  std::free(readable);
  return out;
}

std::vector<Frame> ErrorDNA::capture_stack(int skip) {
  void* addresses[64];
  const int depth = ::backtrace(addresses, 64);
  // Innermost first here. This function's own frame is not always the first (a sanitizer's
  // interceptor of backtrace may come before it): drop everything up to it, then `skip` more.
  int first = 0;
  for (int i = 0; i < depth && !first; ++i) {
    Dl_info info{};
    if (::dladdr(addresses[i], &info) && info.dli_sname && demangle(info.dli_sname).starts_with("hub::ErrorDNA::capture_stack("))
      first = i + 1;
  }
  // The service's own code is its executable; the C library, libstdc++ and this library are not.
  static const std::string executable = std::filesystem::read_symlink("/proc/self/exe").filename().string();
  std::vector<Frame> frames;
  for (int i = depth - 1; i >= first + skip; --i) {  // outermost first
    Dl_info info{};
    Frame frame;
    if (::dladdr(addresses[i], &info)) {
      frame.module = basename_of(info.dli_fname);
      // A return address points after its call: look one byte back, inside the calling function.
      const void* call = static_cast<const char*>(addresses[i]) - 1;
      std::string mangled = info.dli_fname ? SymbolTable::of(info.dli_fname).name(call, info.dli_fbase) : "";
      if (mangled.empty() && info.dli_sname) mangled = info.dli_sname;
      frame.function = mangled.empty() ? "" : demangle(mangled.c_str());
    }
    if (frame.function.empty()) continue;  // an address without a symbol names nothing that lasts
    frame.in_app = frame.module == executable;
    frames.push_back(std::move(frame));
  }
  return frames;
}

struct ErrorClassifier::Compiled {
  std::optional<RulePattern> types, messages;
  bool always = false;
  std::string category, severity;
};

ErrorClassifier::ErrorClassifier(const std::vector<ClassificationRule>& own) {
  const auto& base = builtin_error_dna_rules();
  std::vector<ClassificationRule> all = own;
  for (const auto& rule : base.at("rules"))
    all.push_back({rule.at("category"), rule.value("severity", "error"), rule.value("types", ""), rule.value("messages", "")});
  const auto& categories = base.at("categories");
  auto compiled = std::make_shared<std::vector<Compiled>>();
  for (const auto& rule : all) {
    if (std::find(categories.begin(), categories.end(), rule.category) == categories.end())
      throw std::invalid_argument("rule category \"" + rule.category + "\" is not one of " + categories.dump());
    Compiled each{.always = rule.types.empty() && rule.messages.empty(), .category = rule.category, .severity = rule.severity};
    if (!rule.types.empty()) each.types.emplace(rule.types, true);
    if (!rule.messages.empty()) each.messages.emplace(rule.messages, true);
    compiled->push_back(std::move(each));
  }
  rules_ = std::move(compiled);
}

Classification ErrorClassifier::classify(const ErrorPattern& pattern) const {
  for (size_t i = 0; i < rules_->size(); ++i) {
    const Compiled& rule = (*rules_)[i];
    if (rule.always || (rule.types && rule.types->search(pattern.type)) || (rule.messages && rule.messages->search(pattern.message)))
      return {rule.category, rule.severity, i};
  }
  return {"bug", "error", rules_->size()};
}

}  // namespace hub
