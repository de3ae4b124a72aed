// Reads YAML mappings strictly: every value is typed, every key known, and
// every error says FILE:LINE:COLUMN: KEY: what was wrong.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <string>
#include <vector>

namespace hub::yaml {

struct Source {
  std::string name;  // the file, as the user named it
};

[[noreturn]] void fail(const Source& source, const YAML::Mark& mark, const std::string& key, const std::string& what);
std::string describe(const YAML::Node& node);                     // "a sequence", "a mapping", ...
std::string where(const Source& source, const YAML::Node& node);  // "FILE:LINE:COLUMN"

// ${VAR} and ${VAR:-default} from the environment; an unset VAR without a
// default is an error at the value's position.
std::string expand_environment(const Source& source, const YAML::Node& node, const std::string& key);

class MapReader {
 public:
  // A null node reads as an empty mapping; anything else but a mapping fails.
  MapReader(const Source& source, const YAML::Node& node, std::string path);

  bool has(const std::string& key);
  YAML::Node node(const std::string& key);  // undefined when absent
  std::string string(const std::string& key, const std::string& fallback);
  std::string required_string(const std::string& key);
  int64_t integer(const std::string& key, int64_t fallback, int64_t min, int64_t max);
  double number(const std::string& key, double fallback, double min, double max);
  bool boolean(const std::string& key, bool fallback);
  std::vector<std::string> strings(const std::string& key);
  // Fails on the first key that no call above asked for.
  void finish() const;

  std::string path(const std::string& key) const { return path_.empty() ? key : path_ + "." + key; }
  const YAML::Node& self() const { return node_; }
  const Source& source() const { return source_; }
  [[noreturn]] void fail_at(const std::string& key, const std::string& what) const;

 private:
  YAML::Node child(const std::string& key) const {
    const YAML::Node& map = node_;
    return map[key];
  }
  std::string scalar(const std::string& key, const YAML::Node& value) const;

  const Source& source_;
  YAML::Node node_;
  std::string path_;
  std::vector<std::string> known_;
};

}  // namespace hub::yaml
