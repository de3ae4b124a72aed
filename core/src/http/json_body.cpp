#include "json_body.hpp"

#include <cmath>
#include <set>
#include <vector>

namespace hub::http {

namespace {

using Json = nlohmann::json;

// nlohmann's DOM builder with the checks on top: every event is passed on unless it breaks a rule.
class StrictSax {
 public:
  StrictSax(Json& out, int max_depth) : dom_(out, /*allow_exceptions=*/false), max_depth_(max_depth) {}

  bool null() { return dom_.null(); }
  bool boolean(bool value) { return dom_.boolean(value); }
  bool number_integer(Json::number_integer_t value) { return dom_.number_integer(value); }
  bool number_unsigned(Json::number_unsigned_t value) { return dom_.number_unsigned(value); }
  bool number_float(Json::number_float_t value, const Json::string_t& text) {
    if (!std::isfinite(value)) return refuse("the number " + text.substr(0, 40) + " is out of range");
    return dom_.number_float(value, text);
  }
  bool string(Json::string_t& value) { return dom_.string(value); }
  bool binary(Json::binary_t& value) { return dom_.binary(value); }
  bool start_object(std::size_t size) {
    if (!deeper()) return false;
    keys_.emplace_back();
    return dom_.start_object(size);
  }
  bool key(Json::string_t& key) {
    if (!keys_.back().insert(key).second) return refuse("duplicate key \"" + key.substr(0, 80) + "\"");
    return dom_.key(key);
  }
  bool end_object() {
    keys_.pop_back();
    --depth_;
    return dom_.end_object();
  }
  bool start_array(std::size_t size) { return deeper() && dom_.start_array(size); }
  bool end_array() {
    --depth_;
    return dom_.end_array();
  }
  bool parse_error(std::size_t position, const std::string& token, const nlohmann::detail::exception& error) {
    if (!problem_.empty()) return false;
    const std::string at = " (byte " + std::to_string(position) + ")";
    if (error.id == 406) return refuse("the number " + token.substr(0, 40) + " is out of range" + at);  // nlohmann's number overflow
    const std::string what = error.what();
    const size_t words = what.find("] ");  // "[json.exception.parse_error.101] parse error at ..."
    return refuse((words == std::string::npos ? what : what.substr(words + 2)) + at);
  }

  const std::string& problem() const { return problem_; }

 private:
  bool deeper() {
    if (++depth_ > max_depth_) return refuse("nested deeper than " + std::to_string(max_depth_) + " levels");
    return true;
  }
  bool refuse(std::string problem) {
    problem_ = std::move(problem);
    return false;
  }

  nlohmann::detail::json_sax_dom_parser<Json> dom_;
  int max_depth_;
  int depth_ = 0;
  std::vector<std::set<std::string>> keys_;
  std::string problem_;
};

}  // namespace

std::optional<Json> parse_json_body(std::string_view text, int max_depth, std::string& problem) {
  Json out;
  StrictSax sax(out, max_depth);
  if (Json::sax_parse(text, &sax) && sax.problem().empty()) return out;
  problem = sax.problem().empty() ? "not valid JSON" : sax.problem();
  return std::nullopt;
}

}  // namespace hub::http
