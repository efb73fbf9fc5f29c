#include "core/numbers.h"

#include <gtest/gtest.h>

#include <limits>

namespace passwerk {
namespace {

TEST(ParseInteger, ReadsWholeNumbers) {
  EXPECT_EQ(ParseInteger("0"), 0);
  EXPECT_EQ(ParseInteger("42"), 42);
  EXPECT_EQ(ParseInteger("-7"), -7);
  EXPECT_EQ(ParseInteger("007"), 7);
  EXPECT_EQ(ParseInteger("9223372036854775807"), std::numeric_limits<int64_t>::max());
}

TEST(ParseInteger, RejectsAnythingElse) {
  for (const char* text : {"", "-", "+1", " 1", "1 ", "12abc", "1e3", "0x10", "1.5", "١٢", "9223372036854775808"}) {
    EXPECT_EQ(ParseInteger(text), std::nullopt) << text;
  }
}

TEST(ParseIntegerIn, KeepsToTheRange) {
  EXPECT_EQ(ParseIntegerIn("1", 1, 500), 1);
  EXPECT_EQ(ParseIntegerIn("500", 1, 500), 500);
  EXPECT_EQ(ParseIntegerIn("0", 1, 500), std::nullopt);
  EXPECT_EQ(ParseIntegerIn("501", 1, 500), std::nullopt);
  EXPECT_EQ(ParseIntegerIn("12abc", 1, 500), std::nullopt);
}

}  // namespace
}  // namespace passwerk
