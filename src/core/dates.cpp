// Civil-date arithmetic (Howard Hinnant's days-from-civil algorithms) and the
// EU summer-time rule for Europe/Berlin.
#include "core/dates.h"

#include <cstdio>

namespace passwerk {

int DaysInMonth(int year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : kDays[month - 1];
}

std::optional<Date> ParseIsoDate(std::string_view text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
  auto number = [&](size_t from, size_t len) -> int {
    int value = 0;
    for (size_t i = from; i < from + len; ++i) {
      if (text[i] < '0' || text[i] > '9') return -1;
      value = value * 10 + (text[i] - '0');
    }
    return value;
  };
  Date date{number(0, 4), number(5, 2), number(8, 2)};
  if (date.year < 1 || date.month < 1 || date.month > 12 || date.day < 1 ||
      date.day > DaysInMonth(date.year, date.month)) {
    return std::nullopt;
  }
  return date;
}

std::string FormatIsoDate(const Date& date) {
  if (date.year < 0 || date.year > 9999) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02d", date.year, date.month, date.day);
    return buffer;
  }
  // Formatted by hand: this runs for every valid partner check.
  std::string out = "0000-00-00";
  auto put = [&](size_t end, int value, int digits) {
    for (int i = 0; i < digits; ++i, value /= 10) out[end - static_cast<size_t>(i)] = static_cast<char>('0' + value % 10);
  };
  put(3, date.year, 4);
  put(6, date.month, 2);
  put(9, date.day, 2);
  return out;
}

std::string FormatGermanDate(const Date& date) {
  char buffer[16];
  std::snprintf(buffer, sizeof buffer, "%02d.%02d.%04d", date.day, date.month, date.year);
  return buffer;
}

int64_t DaysFromCivil(const Date& date) {
  int64_t y = date.year - (date.month <= 2 ? 1 : 0);
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  int64_t yoe = y - era * 400;
  int64_t mp = (date.month + 9) % 12;
  int64_t doy = (153 * mp + 2) / 5 + date.day - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

Date CivilFromDays(int64_t days) {
  days += 719468;
  int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  int64_t doe = days - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t y = yoe + era * 400;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  int64_t d = doy - (153 * mp + 2) / 5 + 1;
  int64_t m = mp < 10 ? mp + 3 : mp - 9;
  return Date{static_cast<int>(y + (m <= 2 ? 1 : 0)), static_cast<int>(m), static_cast<int>(d)};
}

Date AddDays(const Date& date, int64_t days) { return CivilFromDays(DaysFromCivil(date) + days); }

Date AddMonths(const Date& date, int months) {
  int total = date.year * 12 + (date.month - 1) + months;
  Date out{total / 12, total % 12 + 1, date.day};
  if (out.day > DaysInMonth(out.year, out.month)) out.day = DaysInMonth(out.year, out.month);
  return out;
}

namespace {
// Unix time of the last Sunday of `month` at 01:00 UTC (when EU clocks change).
int64_t LastSundayAt0100Utc(int year, int month) {
  Date last{year, month, DaysInMonth(year, month)};
  int64_t days = DaysFromCivil(last);
  int64_t weekday = (days + 4) % 7;  // 1970-01-01 was a Thursday (4); 0 = Sunday
  if (weekday < 0) weekday += 7;
  return (days - weekday) * 86400 + 3600;
}
}  // namespace

int64_t BerlinOffsetSeconds(int64_t unix_seconds) {
  int year = CivilFromDays(unix_seconds >= 0 ? unix_seconds / 86400 : (unix_seconds - 86399) / 86400).year;
  bool summer = unix_seconds >= LastSundayAt0100Utc(year, 3) && unix_seconds < LastSundayAt0100Utc(year, 10);
  return summer ? 7200 : 3600;
}

Date BerlinDate(int64_t unix_seconds) {
  int64_t local = unix_seconds + BerlinOffsetSeconds(unix_seconds);
  return CivilFromDays(local >= 0 ? local / 86400 : (local - 86399) / 86400);
}

}  // namespace passwerk
