#include "yaml_reader.hpp"

#include <hub/errors.hpp>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <optional>
#include <sstream>

namespace hub::yaml {

void fail(const Source& source, const YAML::Mark& mark, const std::string& key, const std::string& what) {
  std::string where = source.name;
  if (!mark.is_null()) where += ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1);
  throw ManifestError(where + ": " + (key.empty() ? "" : key + ": ") + what);
}

std::string where(const Source& source, const YAML::Node& node) {
  return source.name + ":" + std::to_string(node.Mark().line + 1) + ":" + std::to_string(node.Mark().column + 1);
}

std::string describe(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Null:
      return "nothing";
    case YAML::NodeType::Scalar:
      return "'" + node.Scalar() + "'";
    case YAML::NodeType::Sequence:
      return "a sequence";
    case YAML::NodeType::Map:
      return "a mapping";
    default:
      return "no value";
  }
}

std::string expand_environment(const Source& source, const YAML::Node& node, const std::string& key) {
  const std::string& text = node.Scalar();
  std::string out;
  size_t at = 0;
  while (true) {
    size_t open = text.find("${", at);
    if (open == std::string::npos) break;
    size_t close = text.find('}', open);
    if (close == std::string::npos) fail(source, node.Mark(), key, "unterminated ${ in '" + text + "'");
    out.append(text, at, open - at);
    std::string name = text.substr(open + 2, close - open - 2);
    std::optional<std::string> fallback;
    if (size_t dash = name.find(":-"); dash != std::string::npos) {
      fallback = name.substr(dash + 2);
      name.resize(dash);
    }
    const char* value = std::getenv(name.c_str());
    if (value && *value)
      out += value;
    else if (fallback)
      out += *fallback;
    else
      fail(source, node.Mark(), key, "environment variable " + name + " is not set (write ${" + name + ":-default} for a default)");
    at = close + 1;
  }
  out.append(text, at);
  return out;
}

MapReader::MapReader(const Source& source, const YAML::Node& node, std::string path)
    : source_(source), node_(node), path_(std::move(path)) {
  if (node_.IsDefined() && !node_.IsNull() && !node_.IsMap())
    fail(source_, node_.Mark(), path_, "expected a mapping, got " + describe(node_));
}

namespace {
std::string printable_number(double value) {
  std::ostringstream text;
  text << value;
  return text.str();
}
}  // namespace

void MapReader::fail_at(const std::string& key, const std::string& what) const {
  YAML::Node value = node_.IsMap() ? child(key) : YAML::Node();
  fail(source_, value.IsDefined() ? value.Mark() : node_.Mark(), path(key), what);
}

bool MapReader::has(const std::string& key) {
  known_.push_back(key);
  return node_.IsMap() && child(key).IsDefined() && !child(key).IsNull();
}

YAML::Node MapReader::node(const std::string& key) {
  if (!has(key)) return YAML::Node(YAML::NodeType::Undefined);
  return child(key);
}

std::string MapReader::scalar(const std::string& key, const YAML::Node& value) const {
  if (!value.IsScalar()) fail(source_, value.Mark(), path(key), "expected a scalar value, got " + describe(value));
  return expand_environment(source_, value, path(key));
}

std::string MapReader::string(const std::string& key, const std::string& fallback) {
  if (!has(key)) return fallback;
  return scalar(key, child(key));
}

std::string MapReader::required_string(const std::string& key) {
  if (!has(key)) fail(source_, node_.Mark(), path(key), "required key is missing");
  std::string value = scalar(key, child(key));
  if (value.empty()) fail_at(key, "must not be empty");
  return value;
}

int64_t MapReader::integer(const std::string& key, int64_t fallback, int64_t min, int64_t max) {
  if (!has(key)) return fallback;
  const std::string text = scalar(key, child(key));
  int64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) fail_at(key, "expected an integer, got '" + text + "'");
  if (value < min || value > max) fail_at(key, "must be between " + std::to_string(min) + " and " + std::to_string(max) + ", got " + text);
  return value;
}

double MapReader::number(const std::string& key, double fallback, double min, double max) {
  if (!has(key)) return fallback;
  const std::string text = scalar(key, child(key));
  double value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) fail_at(key, "expected a number, got '" + text + "'");
  if (!(value >= min && value <= max))
    fail_at(key, "must be between " + printable_number(min) + " and " + printable_number(max) + ", got " + text);
  return value;
}

bool MapReader::boolean(const std::string& key, bool fallback) {
  if (!has(key)) return fallback;
  const std::string text = scalar(key, child(key));
  if (text == "true" || text == "yes" || text == "on") return true;
  if (text == "false" || text == "no" || text == "off") return false;
  fail_at(key, "expected true or false, got '" + text + "'");
}

std::vector<std::string> MapReader::strings(const std::string& key) {
  std::vector<std::string> values;
  if (!has(key)) return values;
  const YAML::Node list = child(key);
  if (!list.IsSequence()) fail_at(key, "expected a sequence of strings, got " + describe(list));
  for (size_t i = 0; i < list.size(); ++i) values.push_back(scalar(key + "[" + std::to_string(i) + "]", list[i]));
  return values;
}

void MapReader::finish() const {
  if (!node_.IsMap()) return;
  for (const auto& entry : node_) {
    const std::string key = entry.first.Scalar();
    if (std::find(known_.begin(), known_.end(), key) != known_.end()) continue;
    std::vector<std::string> expected = known_;
    std::sort(expected.begin(), expected.end());
    expected.erase(std::unique(expected.begin(), expected.end()), expected.end());
    std::string list;
    for (const std::string& name : expected) list += (list.empty() ? "" : ", ") + name;
    fail(source_, entry.first.Mark(), path(key), "unknown key (expected one of: " + list + ")");
  }
}

}  // namespace hub::yaml
