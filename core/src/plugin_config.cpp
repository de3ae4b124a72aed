#include "plugin_config_yaml.hpp"

#include <hub/errors.hpp>
#include <hub/plugin_config.hpp>

#include <regex>

namespace hub {

namespace {

void append_json_string(std::string& out, const std::string& text) {
  out += '"';
  for (unsigned char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          char escaped[8];
          std::snprintf(escaped, sizeof escaped, "\\u%04x", c);
          out += escaped;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
}

// YAML leaves plain scalars untyped; JSON needs a type. Quoted scalars are strings.
void append_json_scalar(std::string& out, const std::string& text, bool quoted) {
  static const std::regex number(R"(-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?)");
  if (!quoted && (text == "true" || text == "false" || text == "null" || std::regex_match(text, number)))
    out += text;
  else if (!quoted && text == "~")
    out += "null";
  else
    append_json_string(out, text);
}

void convert(const yaml::Source& source, const YAML::Node& node, const std::string& path, PluginConfig& config, std::string& json) {
  switch (node.Type()) {
    case YAML::NodeType::Map: {
      json += '{';
      bool first = true;
      for (const auto& entry : node) {
        if (!first) json += ',';
        first = false;
        const std::string key = entry.first.Scalar();
        append_json_string(json, key);
        json += ':';
        convert(source, entry.second, path.empty() ? key : path + "." + key, config, json);
      }
      json += '}';
      break;
    }
    case YAML::NodeType::Sequence:
      json += '[';
      for (size_t i = 0; i < node.size(); ++i) {
        if (i) json += ',';
        convert(source, node[i], path + "." + std::to_string(i), config, json);
      }
      json += ']';
      break;
    case YAML::NodeType::Scalar: {
      const std::string value = yaml::expand_environment(source, node, path);
      append_json_scalar(json, value, node.Tag() == "!");
      config.entries.emplace_back(path, value);
      break;
    }
    default:
      json += "null";
      config.entries.emplace_back(path, "");
  }
}

}  // namespace

PluginConfig plugin_config_from_yaml(const yaml::Source& source, const YAML::Node& node, const std::string& path) {
  PluginConfig config;
  if (!node.IsDefined() || node.IsNull()) return config;
  if (!node.IsMap()) yaml::fail(source, node.Mark(), path, "expected a mapping, got " + yaml::describe(node));
  config.json.clear();
  convert(source, node, "", config, config.json);
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
