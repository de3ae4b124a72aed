#include "basics/printable_text.hpp"

#include <gtest/gtest.h>

namespace hub {
namespace {

TEST(PrintableText, KeepsValidUtf8AsItIs) {
  EXPECT_EQ(printable_text("GET /health: 503 Service Unavailable"), "GET /health: 503 Service Unavailable");
  EXPECT_EQ(printable_text("Zürich → 東京 🚀"), "Zürich → 東京 🚀");
  EXPECT_TRUE(is_printable_text("Zürich → 東京 🚀"));
}

TEST(PrintableText, ReplacesEachInvalidByteWithTheReplacementCharacter) {
  EXPECT_EQ(printable_text("503 \xff\xfe bad"), "503 \ufffd\ufffd bad");
  EXPECT_EQ(printable_text("overlong \xc0\xaf"), "overlong \ufffd\ufffd");
  EXPECT_EQ(printable_text("surrogate \xed\xa0\x80"), "surrogate \ufffd\ufffd\ufffd");
  EXPECT_EQ(printable_text("cut \xe2\x82"), "cut \ufffd\ufffd");
  EXPECT_EQ(printable_text("past unicode \xf4\x90\x80\x80"), "past unicode \ufffd\ufffd\ufffd\ufffd");
  EXPECT_FALSE(is_printable_text("503 \xff"));
}

TEST(PrintableText, ShowsControlCharactersSoTextStaysOnOneLine) {
  EXPECT_EQ(printable_text("ops\n2026-11-23 error [hub] storage wiped"), "ops\\x0a2026-11-23 error [hub] storage wiped");
  EXPECT_EQ(printable_text(std::string("a\0b\x1b[31m\x7f\xc2\x85", 11)), "a\\x00b\\x1b[31m\\x7f\\x85");
  EXPECT_FALSE(is_printable_text("tab\there"));
}

TEST(PrintableText, IsBoundedAndCutsAtACharacter) {
  EXPECT_EQ(printable_text(std::string(5000, 'x')).size(), kMaxOutsideTextBytes);
  const std::string cut = printable_text("ab€€€€", 10);  // € is 3 bytes; the ellipsis too
  EXPECT_EQ(cut, "ab€…");
  EXPECT_TRUE(is_printable_text(cut));
  EXPECT_EQ(printable_text("abc", 3), "abc");
}

}  // namespace
}  // namespace hub
