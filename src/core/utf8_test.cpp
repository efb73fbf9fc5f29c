// UTF-8 validation: every sequence length, and the forms RFC 3629 forbids.
#include "core/utf8.h"

#include <gtest/gtest.h>

#include <string>

namespace passwerk::utf8 {
namespace {

TEST(Utf8Test, DecodesEachSequenceLength) {
  char32_t cp = 0;
  EXPECT_EQ(DecodeUtf8("A", 0, cp), 1u);
  EXPECT_EQ(cp, U'A');
  EXPECT_EQ(DecodeUtf8("\xC3\xBC", 0, cp), 2u);  // ü
  EXPECT_EQ(cp, U'\u00FC');
  EXPECT_EQ(DecodeUtf8("x\xE2\x82\xAC", 1, cp), 3u);  // €
  EXPECT_EQ(cp, U'\u20AC');
  EXPECT_EQ(DecodeUtf8("\xF0\x9F\x98\x80", 0, cp), 4u);  // 😀
  EXPECT_EQ(cp, U'\U0001F600');
  EXPECT_EQ(DecodeUtf8("\xF4\x8F\xBF\xBF", 0, cp), 4u);
  EXPECT_EQ(cp, U'\U0010FFFF') << "the last code point";
}

TEST(Utf8Test, RefusesOverlongSurrogatesTruncatedAndOutOfRange) {
  char32_t cp = 0;
  for (const std::string& bad : {
           std::string("\xC0\xAF"),              // overlong '/'
           std::string("\xC1\xBF"),              // overlong
           std::string("\xE0\x80\xAF"),          // overlong 3-byte
           std::string("\xF0\x80\x80\xAF"),      // overlong 4-byte
           std::string("\xED\xA0\x80"),          // U+D800, a surrogate
           std::string("\xED\xBF\xBF"),          // U+DFFF
           std::string("\xF4\x90\x80\x80"),      // U+110000
           std::string("\xF8\x88\x80\x80\x80"),  // 5-byte form
           std::string("\x80"),                  // continuation without lead
           std::string("\xC3"),                  // truncated
           std::string("\xE2\x82"),              // truncated
           std::string("\xC3\x41"),              // lead followed by ASCII
           std::string("\xFF"),
       }) {
    EXPECT_EQ(DecodeUtf8(bad, 0, cp), 0u) << testing::PrintToString(bad);
    EXPECT_FALSE(IsValidUtf8(bad)) << testing::PrintToString(bad);
  }
}

TEST(Utf8Test, WholeTextsAreValidOnlyIfEverySequenceIs) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("Zauberlehrling, Müller-Lüdenscheidt, Straße 5 — 12 €"));
  EXPECT_TRUE(IsValidUtf8(std::string("a\0b", 3))) << "NUL is valid UTF-8; refusing it is the caller's choice";
  EXPECT_FALSE(IsValidUtf8("Kiel\xC3"));
  EXPECT_FALSE(IsValidUtf8("K\xE4se")) << "Latin-1 is not UTF-8";
  EXPECT_TRUE(
      IsValidUtf8("\xEF\xBB\xBF"
                  "abc"))
      << "a byte order mark is a valid character";
}

}  // namespace
}  // namespace passwerk::utf8
