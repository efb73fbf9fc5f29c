// Calendar dates: strict parsing, the Gregorian leap rules, month arithmetic
// with clamping, and the Europe/Berlin local date around the clock changes.
#include "core/dates.h"

#include <gtest/gtest.h>

namespace passwerk {
namespace {

TEST(DatesTest, ParsesOnlyStrictIsoDatesOfRealDays) {
  EXPECT_EQ(ParseIsoDate("2026-03-29"), (Date{2026, 3, 29}));
  EXPECT_EQ(ParseIsoDate("0001-01-01"), (Date{1, 1, 1}));
  EXPECT_EQ(ParseIsoDate("2024-02-29"), (Date{2024, 2, 29}));
  EXPECT_EQ(ParseIsoDate("2000-02-29"), (Date{2000, 2, 29})) << "divisible by 400: a leap year";
  for (const char* bad :
       {"2026-02-29", "1900-02-29", "2026-04-31", "2026-13-01", "2026-00-10", "2026-01-00", "0000-01-01", "2026-1-01",
        "2026/01/01", "29.03.2026", "2026-03-29T00:00", "+026-03-29", "2026-03-2x", " 2026-03-2", ""}) {
    EXPECT_FALSE(ParseIsoDate(bad)) << bad;
  }
}

TEST(DatesTest, FormatsIsoAndGermanWithLeadingZeros) {
  EXPECT_EQ(FormatIsoDate(Date{2026, 3, 9}), "2026-03-09");
  EXPECT_EQ(FormatIsoDate(Date{987, 1, 2}), "0987-01-02");
  EXPECT_EQ(FormatIsoDate(Date{12026, 1, 2}), "12026-01-02") << "out of range years are still written whole";
  EXPECT_EQ(FormatGermanDate(Date{2026, 12, 31}), "31.12.2026");
  EXPECT_EQ(FormatGermanDate(Date{2026, 1, 5}), "05.01.2026");
  for (const char* text : {"2024-02-29", "1970-01-01", "9999-12-31"}) {
    EXPECT_EQ(FormatIsoDate(*ParseIsoDate(text)), text);
  }
}

TEST(DatesTest, DayNumbersCountFromTheUnixEpoch) {
  EXPECT_EQ(DaysFromCivil(Date{1970, 1, 1}), 0);
  EXPECT_EQ(DaysFromCivil(Date{1969, 12, 31}), -1);
  EXPECT_EQ(DaysFromCivil(Date{2000, 3, 1}), 11017);
  EXPECT_EQ(CivilFromDays(-1), (Date{1969, 12, 31}));
  EXPECT_EQ(CivilFromDays(11017), (Date{2000, 3, 1}));
  // Every day of four centuries (leap rules of 1900, 2000, 2100) round-trips and follows its predecessor.
  Date previous = CivilFromDays(DaysFromCivil(Date{1899, 12, 31}));
  for (int64_t n = DaysFromCivil(Date{1900, 1, 1}); n <= DaysFromCivil(Date{2300, 12, 31}); ++n) {
    Date date = CivilFromDays(n);
    ASSERT_EQ(DaysFromCivil(date), n);
    ASSERT_GT(date, previous);
    ASSERT_LE(date.day, DaysInMonth(date.year, date.month));
    previous = date;
  }
}

TEST(DatesTest, DaysInMonthFollowsTheGregorianRules) {
  EXPECT_EQ(DaysInMonth(2026, 1), 31);
  EXPECT_EQ(DaysInMonth(2026, 2), 28);
  EXPECT_EQ(DaysInMonth(2024, 2), 29);
  EXPECT_EQ(DaysInMonth(1900, 2), 28);
  EXPECT_EQ(DaysInMonth(2000, 2), 29);
  EXPECT_EQ(DaysInMonth(2026, 4), 30);
  EXPECT_EQ(DaysInMonth(2026, 12), 31);
}

TEST(DatesTest, AddDaysAndMonthsCrossYearsAndClampTheDay) {
  EXPECT_EQ(AddDays(Date{2026, 12, 31}, 1), (Date{2027, 1, 1}));
  EXPECT_EQ(AddDays(Date{2024, 2, 28}, 1), (Date{2024, 2, 29}));
  EXPECT_EQ(AddDays(Date{2026, 3, 1}, -1), (Date{2026, 2, 28}));
  EXPECT_EQ(AddDays(Date{2026, 4, 3}, 14), (Date{2026, 4, 17}));
  EXPECT_EQ(AddMonths(Date{2026, 1, 31}, 1), (Date{2026, 2, 28}));
  EXPECT_EQ(AddMonths(Date{2024, 1, 31}, 1), (Date{2024, 2, 29}));
  EXPECT_EQ(AddMonths(Date{2026, 11, 15}, 2), (Date{2027, 1, 15}));
  EXPECT_EQ(AddMonths(Date{2026, 3, 31}, -1), (Date{2026, 2, 28}));
  EXPECT_EQ(AddMonths(Date{2026, 1, 15}, -1), (Date{2025, 12, 15}));
  EXPECT_EQ(AddMonths(Date{2026, 5, 31}, 12), (Date{2027, 5, 31}));
  EXPECT_EQ(AddMonths(Date{2024, 2, 29}, 12), (Date{2025, 2, 28}));
}

TEST(DatesTest, BerlinSwitchesToSummerTimeOnTheLastSundaysOfMarchAndOctober) {
  const int64_t spring = 1774746000;  // 2026-03-29 01:00 UTC
  const int64_t autumn = 1792890000;  // 2026-10-25 01:00 UTC
  EXPECT_EQ(BerlinOffsetSeconds(spring - 1), 3600);
  EXPECT_EQ(BerlinOffsetSeconds(spring), 7200);
  EXPECT_EQ(BerlinOffsetSeconds(autumn - 1), 7200);
  EXPECT_EQ(BerlinOffsetSeconds(autumn), 3600);
  EXPECT_EQ(BerlinOffsetSeconds(0), 3600);
}

TEST(DatesTest, BerlinDateTurnsAtLocalMidnight) {
  // 2026-12-31 23:00 UTC is midnight in Berlin (winter time): already the new year.
  EXPECT_EQ(BerlinDate(1798758000 - 1), (Date{2026, 12, 31}));
  EXPECT_EQ(BerlinDate(1798758000), (Date{2027, 1, 1}));
  // 2026-06-30 22:00 UTC is midnight in summer time.
  EXPECT_EQ(BerlinDate(1782856800 - 1), (Date{2026, 6, 30}));
  EXPECT_EQ(BerlinDate(1782856800), (Date{2026, 7, 1}));
  EXPECT_EQ(BerlinDate(-3600), (Date{1970, 1, 1})) << "1969-12-31 23:00 UTC";
  EXPECT_EQ(BerlinDate(-3601), (Date{1969, 12, 31}));
}

}  // namespace
}  // namespace passwerk
