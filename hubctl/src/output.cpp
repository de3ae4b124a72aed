#include "output.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <ostream>

namespace hubctl {

namespace {

const nlohmann::json& reach(const nlohmann::json& row, const std::string& key) {
  static const nlohmann::json none;
  const nlohmann::json* at = &row;
  size_t from = 0;
  while (from <= key.size()) {
    const size_t dot = std::min(key.find('.', from), key.size());
    const std::string part = key.substr(from, dot - from);
    if (!at->is_object() || !at->contains(part)) return none;
    at = &(*at)[part];
    from = dot + 1;
  }
  return *at;
}

void emit(YAML::Emitter& out, const nlohmann::json& value) {
  if (value.is_object()) {
    out << YAML::BeginMap;
    for (const auto& [key, item] : value.items()) {
      out << YAML::Key << key << YAML::Value;
      emit(out, item);
    }
    out << YAML::EndMap;
  } else if (value.is_array()) {
    out << YAML::BeginSeq;
    for (const auto& item : value) emit(out, item);
    out << YAML::EndSeq;
  } else if (value.is_string()) {
    out << YAML::DoubleQuoted << value.get<std::string>();
  } else if (value.is_null()) {
    out << YAML::Null;
  } else {
    out << value.dump();
  }
}

}  // namespace

std::string text_of(const nlohmann::json& value) {
  if (value.is_null()) return "-";
  if (value.is_string()) return value.get<std::string>();
  if (value.is_array()) {
    std::string joined;
    for (const auto& item : value) joined += (joined.empty() ? "" : ",") + text_of(item);
    return joined.empty() ? "-" : joined;
  }
  return value.dump();
}

void Output::document(const nlohmann::json& value) const {
  if (format_ == "yaml") {
    YAML::Emitter yaml;
    emit(yaml, value);
    out_ << yaml.c_str() << "\n";
  } else {
    out_ << value.dump(2) << "\n";
  }
}

void Output::table(const nlohmann::json& rows, const std::vector<Column>& columns, const nlohmann::json& whole) const {
  if (!human()) return document(whole);
  std::vector<std::vector<std::string>> cells;
  std::vector<size_t> widths;
  for (const Column& column : columns) widths.push_back(column.header.size());
  for (const auto& row : rows) {
    auto& line = cells.emplace_back();
    for (size_t i = 0; i < columns.size(); ++i) {
      line.push_back(text_of(reach(row, columns[i].key)));
      widths[i] = std::max(widths[i], line.back().size());
    }
  }
  const auto print = [&](const std::vector<std::string>& line) {
    std::string text;
    for (size_t i = 0; i < line.size(); ++i)
      text += line[i] + (i + 1 < line.size() ? std::string(widths[i] - line[i].size() + 2, ' ') : "");
    out_ << text << "\n";
  };
  std::vector<std::string> headers;
  for (const Column& column : columns) headers.push_back(column.header);
  print(headers);
  for (const auto& line : cells) print(line);
}

void Output::object(const nlohmann::json& value) const {
  if (!human() || !value.is_object()) return document(value);
  size_t width = 0;
  for (const auto& [key, item] : value.items()) width = std::max(width, key.size());
  for (const auto& [key, item] : value.items())
    out_ << key << ":" << std::string(width - key.size() + 1, ' ') << (item.is_object() ? item.dump() : text_of(item)) << "\n";
}

}  // namespace hubctl
