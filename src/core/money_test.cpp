#include "core/money.h"

#include <gtest/gtest.h>

#include <limits>

namespace passwerk {
namespace {

TEST(FormatCents, WritesWholeAndCents) {
  EXPECT_EQ(FormatCents(0, ','), "0,00");
  EXPECT_EQ(FormatCents(5, ','), "0,05");
  EXPECT_EQ(FormatCents(1250, ','), "12,50");
  EXPECT_EQ(FormatCents(123456789, '.'), "1234567.89");
}

TEST(FormatCents, NegativeAmountsKeepTheirSign) {
  EXPECT_EQ(FormatCents(-5, ','), "-0,05");
  EXPECT_EQ(FormatCents(-1250, '.'), "-12.50");
  EXPECT_EQ(FormatCents(std::numeric_limits<int64_t>::min(), ','), "-92233720368547758,08");
}

TEST(FormatCentsGrouped, GroupsThousands) {
  EXPECT_EQ(FormatCentsGrouped(99, ',', '.'), "0,99");
  EXPECT_EQ(FormatCentsGrouped(99999, ',', '.'), "999,99");
  EXPECT_EQ(FormatCentsGrouped(100000, ',', '.'), "1.000,00");
  EXPECT_EQ(FormatCentsGrouped(123456789, '.', ','), "1,234,567.89");
  EXPECT_EQ(FormatCentsGrouped(-123456789, ',', '.', "−"), "−1.234.567,89");
}

TEST(ParseEuroAmount, ReadsWhatPeopleType) {
  EXPECT_EQ(ParseEuroAmount("12,50"), 1250);
  EXPECT_EQ(ParseEuroAmount("12.50"), 1250);
  EXPECT_EQ(ParseEuroAmount("12"), 1200);
  EXPECT_EQ(ParseEuroAmount(" 3,5 "), 350);
  EXPECT_EQ(ParseEuroAmount("0,05"), 5);
  EXPECT_EQ(ParseEuroAmount("12,"), 1200) << "a trailing separator as some people type it";
}

TEST(ParseEuroAmount, RejectsWhatIsNoAmount) {
  for (const char* text :
       {"", " ", ",50", "12,505", "-1", "+1", "1e3", "12,5a", "1.000,00", "12 50", "1234567890123"}) {
    EXPECT_EQ(ParseEuroAmount(text), std::nullopt) << text;
  }
}

}  // namespace
}  // namespace passwerk
