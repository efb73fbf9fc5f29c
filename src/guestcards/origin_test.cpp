// Where a guest comes from: the federal state by the postal code's leading
// region, the country otherwise, and what counts as a country code.
#include "guestcards/origin.h"

#include <gtest/gtest.h>

namespace passwerk::guestcards {
namespace {

TEST(OriginTest, GermanPostalCodesGiveTheFederalState) {
  EXPECT_EQ(OriginOf("DE", "91052"), "DE-BY");  // Erlangen
  EXPECT_EQ(OriginOf("DE", "23746"), "DE-SH");  // Kellenhusen
  EXPECT_EQ(OriginOf("DE", "10115"), "DE-BE");  // Berlin
  EXPECT_EQ(OriginOf("DE", "20095"), "DE-HH");  // Hamburg
  EXPECT_EQ(OriginOf("DE", "28195"), "DE-HB");  // Bremen
  EXPECT_EQ(OriginOf("DE", "01067"), "DE-SN");  // Dresden
  EXPECT_EQ(OriginOf("DE", "66111"), "DE-SL");  // Saarbrücken
  EXPECT_EQ(OriginOf("DE", "70173"), "DE-BW");  // Stuttgart
  EXPECT_EQ(OriginOf("DE", "99084"), "DE-TH");  // Erfurt
  EXPECT_EQ(OriginOf("de", "80331"), "DE-BY") << "the country in any case";
}

TEST(OriginTest, RegionsWithoutAStateOrBadCodesStayDe) {
  EXPECT_EQ(OriginOf("DE", "00100"), "DE") << "region 00 does not exist";
  EXPECT_EQ(OriginOf("DE", "05000"), "DE");
  EXPECT_EQ(OriginOf("DE", "43000"), "DE");
  EXPECT_EQ(OriginOf("DE", "62000"), "DE");
  EXPECT_EQ(OriginOf("DE", "9105"), "DE");
  EXPECT_EQ(OriginOf("DE", "910522"), "DE");
  EXPECT_EQ(OriginOf("DE", "9105a"), "DE");
  EXPECT_EQ(OriginOf("DE", ""), "DE");
}

TEST(OriginTest, OtherCountriesAreKeptUpperCaseWithoutTheirPostalCode) {
  EXPECT_EQ(OriginOf("NL", "1012 AB"), "NL");
  EXPECT_EQ(OriginOf("at", "1010"), "AT");
  EXPECT_EQ(OriginOf("DK", "91052"), "DK") << "a German-looking postal code abroad is no German state";
}

TEST(OriginTest, CountryCodesAreTwoUpperCaseLetters) {
  EXPECT_TRUE(IsCountryCode("DE"));
  EXPECT_TRUE(IsCountryCode("NL"));
  for (const char* bad : {"de", "D", "DEU", "", "D1", "Ö1", "D "}) EXPECT_FALSE(IsCountryCode(bad)) << bad;
}

}  // namespace
}  // namespace passwerk::guestcards
