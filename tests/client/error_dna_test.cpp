// ErrorDNA in C++: the cases the Python package checks too (tests/errordna/fingerprints.json) give
// the same fingerprints, categories and severities; real exceptions group by cause, not by value.
#include <hub/error_dna.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

using hub::ErrorClassifier;
using hub::ErrorDNA;
using hub::Frame;
using nlohmann::json;

json cases() {
  std::ifstream in(std::string(HUB_SOURCE_DIR) + "/tests/errordna/fingerprints.json");
  return json::parse(in).at("cases");
}

std::vector<Frame> frames_of(const json& list) {
  std::vector<Frame> frames;
  for (const auto& each : list) {
    Frame frame{.module = each.value("module", ""),
                .function = each.value("function", ""),
                .file = each.value("file", ""),
                .line = each.value("line", 0)};
    if (each.contains("in_app") && !each["in_app"].is_null()) frame.in_app = each["in_app"].get<bool>();
    frames.push_back(std::move(frame));
  }
  return frames;
}

TEST(ErrorDna, GivesThePythonPackagesFingerprintsForTheSharedCases) {
  const ErrorDNA dna;
  const ErrorClassifier classifier;
  const json all = cases();
  ASSERT_GE(all.size(), 15u);
  for (const auto& each : all) {
    SCOPED_TRACE(each["case"].get<std::string>());
    const auto pattern = dna.analyze(each["type"].get<std::string>(), each["message"].get<std::string>(), frames_of(each["frames"]));
    const json& expect = each["expect"];
    EXPECT_EQ(pattern.type, expect["type"]);
    EXPECT_EQ(pattern.parameterized_message, expect["parameterized_message"]);
    std::vector<std::string> keys;
    for (const auto& frame : pattern.frames) keys.push_back(frame.key());
    EXPECT_EQ(json(keys), expect["frames"]);
    EXPECT_EQ(pattern.fingerprint, expect["fingerprint"]);
    const auto classification = classifier.classify(pattern);
    EXPECT_EQ(classification.category, expect["category"]);
    EXPECT_EQ(classification.severity, expect["severity"]);
  }
}

// Out of line, so each has a frame of its own. Its symbol is local (an anonymous namespace), and the
// stack is taken in the catch block, which GCC moves into a ".cold" clone, local too: capture_stack
// names both from the executable's symbol table.
[[gnu::noinline]] hub::ErrorPattern read_position(const hub::ErrorDNA& dna, size_t index) {
  std::vector<int> positions{1, 2, 3};
  try {
    return {.message = std::to_string(positions.at(index))};
  } catch (const std::exception& error) {
    return dna.analyze_error(error, hub::ErrorDNA::capture_stack());
  }
}

[[gnu::noinline]] hub::ErrorPattern parse_quantity(const hub::ErrorDNA& dna, const std::string& text) {
  try {
    return {.message = std::to_string(std::stoi(text))};
  } catch (const std::exception& error) {
    return dna.analyze_error(error);
  }
}

TEST(ErrorDna, RealExceptionsGroupByCauseNotByValue) {
  const ErrorDNA dna;
  const auto five = read_position(dna, 5), nine = read_position(dna, 9);
  EXPECT_EQ(five.type, "std::out_of_range");
  EXPECT_THAT(five.message, testing::HasSubstr("(which is 5)"));
  EXPECT_EQ(five.parameterized_message, "vector::_M_range_check: __n (which is <num>) >= this->size() (which is <num>)");
  EXPECT_EQ(five.fingerprint, nine.fingerprint);  // another index, the same cause
  const auto letters = parse_quantity(dna, "abc");
  EXPECT_EQ(letters.type, "std::invalid_argument");
  EXPECT_NE(letters.fingerprint, five.fingerprint);
  // The stack names the function that caught it, from the executable's symbol table.
  std::vector<std::string> functions;
  for (const auto& frame : five.frames) functions.push_back(frame.function);
  EXPECT_THAT(functions, testing::Contains(testing::HasSubstr("read_position"))) << five.to_json().dump(1);
  EXPECT_EQ(five.to_json()["fingerprint"], five.fingerprint);
}

TEST(ErrorDna, AServicesOwnRulesComeFirstAndAreChecked) {
  const ErrorDNA dna;
  const auto pattern = dna.analyze("trading::RiskLimitExceeded", "position 1200 above limit 1000");
  EXPECT_EQ(ErrorClassifier().classify(pattern).category, "bug");
  const ErrorClassifier own(std::vector<hub::ClassificationRule>{{.category = "validation", .severity = "warning", .types = "RiskLimit"}});
  EXPECT_EQ(own.classify(pattern).to_string(), "validation (warning)");
  EXPECT_EQ(own.classify(pattern).rule, 0u);
  using Rules = std::vector<hub::ClassificationRule>;
  EXPECT_THROW(ErrorClassifier(Rules{{.category = "weather", .types = "x"}}), std::invalid_argument);
  EXPECT_THROW(ErrorClassifier(Rules{{.category = "bug", .types = "(unclosed"}}), std::invalid_argument);
}

}  // namespace
