// Calendar dates without time zones (validity, birth dates) and the
// Europe/Berlin local date that "today" means for a German municipality.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace passwerk {

struct Date {
  int year = 1970;
  int month = 1;
  int day = 1;
  auto operator<=>(const Date&) const = default;
};

// Strict YYYY-MM-DD with a real calendar day.
std::optional<Date> ParseIsoDate(std::string_view text);
std::string FormatIsoDate(const Date& date);
// "31.12.2026"
std::string FormatGermanDate(const Date& date);

int64_t DaysFromCivil(const Date& date);
Date CivilFromDays(int64_t days);
Date AddDays(const Date& date, int64_t days);
// Adds months; the day is clamped to the month's length (31.01. + 1 month = 28./29.02.).
Date AddMonths(const Date& date, int months);
int DaysInMonth(int year, int month);

// Offset of Europe/Berlin from UTC at that instant (3600 or 7200, EU summer-time rule).
int64_t BerlinOffsetSeconds(int64_t unix_seconds);
Date BerlinDate(int64_t unix_seconds);

}  // namespace passwerk
