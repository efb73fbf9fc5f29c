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

}  // namespace
}  // namespace passwerk
