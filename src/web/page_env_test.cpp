// The format and permission helpers every staff page shares: amounts, dates,
// ids from forms and paths, cookies and CSRF. Who may see what is
// accounts/policy_test.cpp's.
#include "web/page_env.h"

#include <gtest/gtest.h>

#include <limits>

namespace passwerk::web {
namespace {

TEST(PageEnvTest, EuroWritesTheDecimalSeparatorOfTheLanguage) {
  EXPECT_EQ(Euro(0, Lang::kDe), "0,00 €");
  EXPECT_EQ(Euro(5, Lang::kDe), "0,05 €");
  EXPECT_EQ(Euro(1950, Lang::kDe), "19,50 €");
  EXPECT_EQ(Euro(99999, Lang::kDe), "999,99 €");
  EXPECT_EQ(Euro(123450, Lang::kDe), "1234,50 €");
  EXPECT_EQ(Euro(123456789, Lang::kDe), "1234567,89 €");
  EXPECT_EQ(Euro(1950, Lang::kEn), "19.50 €");
  EXPECT_EQ(Euro(123450, Lang::kEn), "1234.50 €");
  EXPECT_EQ(Euro(100000000, Lang::kEn), "1000000.00 €");
}

TEST(PageEnvTest, EuroNegativeAmounts) {
  EXPECT_EQ(Euro(-1, Lang::kDe), "-0,01 €");
  EXPECT_EQ(Euro(-1950, Lang::kDe), "-19,50 €");
  EXPECT_EQ(Euro(-123450, Lang::kEn), "-1234.50 €");
  // The magnitude of the smallest int64 does not fit an int64.
  EXPECT_EQ(Euro(std::numeric_limits<int64_t>::min(), Lang::kEn), "-92233720368547758.08 €");
  EXPECT_EQ(Euro(std::numeric_limits<int64_t>::max(), Lang::kDe), "92233720368547758,07 €");
}

TEST(PageEnvTest, DatesAsTheReaderWritesThem) {
  EXPECT_EQ(ShowDate(Date{2026, 12, 24}, Lang::kDe), "24.12.2026");
  EXPECT_EQ(ShowDate(Date{2026, 1, 5}, Lang::kDe), "05.01.2026");
  EXPECT_EQ(ShowDate(Date{2026, 1, 5}, Lang::kEn), "2026-01-05");
  EXPECT_EQ(ShowIsoDate("2026-02-28", Lang::kDe), "28.02.2026");
  EXPECT_EQ(ShowIsoDate("2026-02-28", Lang::kEn), "2026-02-28");
  // What does not parse is shown as given.
  for (const char* text : {"", "2026-02-30", "28.02.2026", "2026-2-28", "unbekannt"}) {
    EXPECT_EQ(ShowIsoDate(text, Lang::kDe), text);
    EXPECT_EQ(ShowIsoDate(text, Lang::kEn), text);
  }
}

TEST(PageEnvTest, ParseIdTakesWholeNonNegativeNumbersOnly) {
  EXPECT_EQ(ParseId("0"), 0);
  EXPECT_EQ(ParseId("42"), 42);
  EXPECT_EQ(ParseId("9223372036854775807"), std::numeric_limits<int64_t>::max());
  for (const char* text : {"", "-1", "12abc", "1e3", " 7", "7 ", "+7", "0x10", "9223372036854775808"}) {
    EXPECT_FALSE(ParseId(text).has_value()) << text;
  }
}

TEST(PageEnvTest, CookiesAreHttpOnlyStrictAndSecureUnderTls) {
  Request plain;
  EXPECT_EQ(SessionCookie(plain, "abc"), "pw_session=abc; Path=/; HttpOnly; SameSite=Strict");
  EXPECT_EQ(ClearCookie(plain, "pw_csrf"), "pw_csrf=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
  Request tls;
  tls.tls = true;
  EXPECT_EQ(SessionCookie(tls, "abc"), "pw_session=abc; Path=/; HttpOnly; SameSite=Strict; Secure");
}

TEST(PageEnvTest, CsrfNeedsAnExpectedTokenAndTheSameOne) {
  EXPECT_TRUE(CsrfMatches("t0k3n", {{"csrf", "t0k3n"}}));
  EXPECT_FALSE(CsrfMatches("t0k3n", {{"csrf", "t0k3m"}}));
  EXPECT_FALSE(CsrfMatches("t0k3n", {{"csrf", "t0k3"}}));
  EXPECT_FALSE(CsrfMatches("t0k3n", {{"other", "t0k3n"}}));
  EXPECT_FALSE(CsrfMatches("", {{"csrf", ""}})) << "no session token: nothing matches";
}

TEST(PageEnvTest, FormHelpers) {
  EXPECT_EQ(FormValue({{"a", "1"}}, "a"), "1");
  EXPECT_EQ(FormValue({{"a", "1"}}, "b"), "");
  EXPECT_EQ(TrimSpaces("  Erlangen \t\n"), "Erlangen");
  EXPECT_EQ(TrimSpaces(" \t "), "");
  EXPECT_EQ(TrimSpaces("a b"), "a b");
  EXPECT_EQ(MessageFor({{"name", "too long"}, {"date", "not a date"}}, "date"), "not a date");
  EXPECT_EQ(MessageFor({{"name", "too long"}}, "date"), "");
}

TEST(PageEnvTest, TextIsEscapedInEveryFragment) {
  const std::string evil = "<script>\"&'";
  for (const std::string& html :
       {Heading(evil), Paragraph(evil), DescriptionItem(evil, evil), Cell(evil), TextBlock(evil),
        LinkButton("/x?a=1&b=\"", evil, true), Badge("info", evil), SectionStart("s", evil)}) {
    EXPECT_EQ(html.find("<script>"), std::string::npos) << html;
    EXPECT_EQ(html.find("\"&'"), std::string::npos) << html;
  }
  EXPECT_NE(DescriptionItemHtml("k", "<b>bold</b>").find("<b>bold</b>"), std::string::npos) << "HTML on purpose";
}

}  // namespace
}  // namespace passwerk::web
