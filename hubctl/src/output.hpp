// What hubctl prints: a table for people (the columns a command chooses), or the hub's answer
// whole as JSON or YAML for scripts (-o json, -o yaml).
#pragma once

#include <nlohmann/json.hpp>

#include <iosfwd>
#include <string>
#include <vector>

namespace hubctl {

struct Column {
  std::string header;
  std::string key;  // a key of each row; "a.b" reaches into an object
};

class Output {
 public:
  Output(std::string format, std::ostream& out) : format_(std::move(format)), out_(out) {}
  bool human() const { return format_ == "table"; }
  // `rows` as a table with `columns`; for json and yaml, `whole` as it is.
  void table(const nlohmann::json& rows, const std::vector<Column>& columns, const nlohmann::json& whole) const;
  // One object: `key: value` lines for people; json or yaml as it is.
  void object(const nlohmann::json& value) const;
  // Prints `value` as json or yaml (for the table format too, where no table fits).
  void document(const nlohmann::json& value) const;

 private:
  std::string format_;
  std::ostream& out_;
};

std::string text_of(const nlohmann::json& value);  // a cell: strings bare, null as "-", others as JSON

}  // namespace hubctl
