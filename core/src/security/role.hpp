// What a caller may do: admin (everything, tokens included), operator (configs, rollbacks, the
// global config, liveness confirmations), service:NAME (its own instances and config, and every
// read a caller needs), reader (every read).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace hub::security {

struct Role {
  enum class Kind { admin, operator_, service, reader };
  Kind kind = Kind::reader;
  std::string service;  // for Kind::service

  // nullopt with `problem` saying what is wrong.
  static std::optional<Role> parse(std::string_view text, std::string& problem);
  static Role service_named(std::string name) { return {Kind::service, std::move(name)}; }
  std::string to_string() const;
  // admin always; service:NAME for NAME only.
  bool speaks_for(std::string_view service_name) const { return kind == Kind::admin || (kind == Kind::service && service == service_name); }
  bool operates() const { return kind == Kind::admin || kind == Kind::operator_; }
};

}  // namespace hub::security
