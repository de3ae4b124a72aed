#include "plugin_config_yaml.hpp"

#include "basics/json_text.hpp"

#include <hub/errors.hpp>
#include <hub/plugin_config.hpp>

#include <charconv>

namespace hub {

namespace {

// JSON's grammar for numbers: no leading '+', no leading zeros, no bare '.5' or '5.'.
bool is_json_number(const std::string& text) {
  const char* begin = text.data();
  const char* end = begin + text.size();
  const char* digits = begin + (text.starts_with('-') ? 1 : 0);
  if (digits == end || !std::isdigit(static_cast<unsigned char>(*digits))) return false;
  if (*digits == '0' && digits + 1 < end && std::isdigit(static_cast<unsigned char>(digits[1]))) return false;
  if (text.back() == '.' || text.find(".e") != std::string::npos || text.find(".E") != std::string::npos) return false;
  double value = 0;
  auto [stop, error] = std::from_chars(begin, end, value);
  return error == std::errc() && stop == end;
}

// YAML leaves plain scalars untyped; JSON needs a type. Quoted scalars are strings.
void append_json_scalar(std::string& out, const std::string& text, bool quoted) {
  if (!quoted && (text == "true" || text == "false" || text == "null" || is_json_number(text)))
    out += text;
  else if (!quoted && text == "~")
    out += "null";
  else
    out += json_quote(text);
}

std::string where_of(const yaml::Source& source, const YAML::Mark& mark) {
  return source.name + ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1);
}

// `mark` is where the value's key (or, in a sequence, the value itself) sits.
void convert(const yaml::Source& source, const YAML::Node& node, const std::string& path, PluginConfig& config, std::string& json,
             const YAML::Mark& mark) {
  switch (node.Type()) {
    case YAML::NodeType::Map: {
      json += '{';
      bool first = true;
      for (const auto& entry : node) {
        if (!first) json += ',';
        first = false;
        const std::string key = entry.first.Scalar();
        json += json_quote(key);
        json += ':';
        convert(source, entry.second, path.empty() ? key : path + "." + key, config, json, entry.first.Mark());
      }
      json += '}';
      break;
    }
    case YAML::NodeType::Sequence:
      json += '[';
      for (size_t i = 0; i < node.size(); ++i) {
        if (i) json += ',';
        convert(source, node[i], path + "." + std::to_string(i), config, json, node[i].Mark());
      }
      json += ']';
      break;
    case YAML::NodeType::Scalar: {
      const std::string value = yaml::expand_environment(source, node, path);
      append_json_scalar(json, value, node.Tag() == "!");
      config.entries.emplace_back(path, value);
      config.where[path] = where_of(source, mark);
      break;
    }
    default:
      json += "null";
      config.entries.emplace_back(path, "");
      config.where[path] = where_of(source, mark);
  }
}

}  // namespace

PluginConfig plugin_config_from_yaml(const yaml::Source& source, const YAML::Node& node, const std::string& path) {
  PluginConfig config;
  config.path = path;
  if (!node.IsDefined() || node.IsNull()) return config;
  if (!node.IsMap()) yaml::fail(source, node.Mark(), path, "expected a mapping, got " + yaml::describe(node));
  config.json.clear();
  convert(source, node, "", config, config.json, node.Mark());
  return config;
}

PluginConfig PluginConfig::from_yaml(const std::string& text) {
  const yaml::Source source{"<plugin config>"};
  try {
    return plugin_config_from_yaml(source, YAML::Load(text), "config");
  } catch (const YAML::Exception& error) {
    yaml::fail(source, error.mark, "config", error.msg);
  }
}

}  // namespace hub
