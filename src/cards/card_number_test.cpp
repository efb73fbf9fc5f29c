// Card numbers: the Luhn check digit against a published example, what it
// catches, normalising what people type, and the 4-4-4 format.
#include "cards/card_number.h"

#include <gtest/gtest.h>

#include <set>

namespace passwerk::cards {
namespace {

TEST(CardNumberTest, LuhnCatchesTyposAndTranspositions) {
  std::string number = MakeCardNumber(101, 1001);
  EXPECT_EQ(number, "101000010013");
  EXPECT_TRUE(LuhnValid(number));
  for (size_t i = 0; i < number.size(); ++i) {
    std::string typo = number;
    typo[i] = static_cast<char>('0' + (typo[i] - '0' + 1) % 10);
    EXPECT_FALSE(LuhnValid(typo)) << "single-digit error at " << i;
  }
  std::string swapped = number;
  std::swap(swapped[9], swapped[10]);
  if (swapped != number) {
    EXPECT_FALSE(LuhnValid(swapped));
  }
  EXPECT_EQ(NormalizeCardNumber("1010 0001-0013"), "101000010013");
  EXPECT_FALSE(NormalizeCardNumber("101000010014"));
  EXPECT_FALSE(NormalizeCardNumber("10100001001"));
  EXPECT_FALSE(NormalizeCardNumber("10100001001a"));
  EXPECT_EQ(FormatCardNumber(number), "1010 0001 0013");
}

TEST(CardNumberTest, LuhnMatchesThePublishedExample) {
  // The classic example (ISO/IEC 7812-1 annex): 7992739871 takes the check digit 3.
  EXPECT_EQ(LuhnDigit("7992739871"), 3);
  EXPECT_TRUE(LuhnValid("79927398713"));
  EXPECT_FALSE(LuhnValid("79927398710"));
  EXPECT_EQ(LuhnDigit(""), 0);
  EXPECT_EQ(LuhnDigit("0"), 0);
  EXPECT_EQ(LuhnDigit("5"), 9) << "5 doubled is 10, digits summed 1";
  EXPECT_TRUE(LuhnValid("00"));
  EXPECT_FALSE(LuhnValid("0")) << "a check digit needs something to check";
  EXPECT_FALSE(LuhnValid(""));
}

TEST(CardNumberTest, NumbersCarryTheSchemeCodeAndAnEightDigitSerial) {
  EXPECT_EQ(MakeCardNumber(100, 0), "100000000008");
  EXPECT_EQ(MakeCardNumber(999, 99999999).substr(0, 11), "99999999999");
  EXPECT_EQ(MakeCardNumber(101, 100001001), MakeCardNumber(101, 1001)) << "the serial is taken modulo 10^8";
  std::set<std::string> drawn;
  for (int i = 0; i < 200; ++i) {
    std::string number = RandomCardNumber(427);
    ASSERT_EQ(number.size(), 12u) << number;
    EXPECT_EQ(number.substr(0, 3), "427");
    EXPECT_TRUE(LuhnValid(number)) << number;
    EXPECT_EQ(NormalizeCardNumber(number), number);
    drawn.insert(number);
  }
  EXPECT_GT(drawn.size(), 195u) << "serials are drawn at random";
}

TEST(CardNumberTest, NormalisingAcceptsOnlySpacesAndHyphensBetweenTwelveDigits) {
  const std::string number = MakeCardNumber(101, 1001);
  EXPECT_EQ(NormalizeCardNumber(" 1010-0001-0013 "), number);
  EXPECT_EQ(NormalizeCardNumber("1 0 1 0 0 0 0 1 0 0 1 3"), number);
  for (const char* bad : {"", "    ", "1010\t0001\t0013", "1010.0001.0013", "+101000010013", "1010000100130",
                          "0101000010013", "１０１０００01 0013"}) {
    EXPECT_FALSE(NormalizeCardNumber(bad)) << bad;
  }
  EXPECT_FALSE(NormalizeCardNumber(std::string(10000, '1'))) << "a long input is cut short, not copied whole";
}

TEST(CardNumberTest, FormatGroupsInFours) {
  EXPECT_EQ(FormatCardNumber(""), "");
  EXPECT_EQ(FormatCardNumber("1234"), "1234");
  EXPECT_EQ(FormatCardNumber("12345"), "1234 5");
  EXPECT_EQ(NormalizeCardNumber(FormatCardNumber(MakeCardNumber(555, 12345678))), MakeCardNumber(555, 12345678));
}

}  // namespace
}  // namespace passwerk::cards
