// Amounts of money are integer cents everywhere; this is the one place that
// writes them as text (web pages, CSV and PDF reports, the command line).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace passwerk {

// "-1234,50" with decimal_separator ',' ("-1234.50" with '.'): no grouping,
// as CSV files and forms take it.
std::string FormatCents(int64_t cents, char decimal_separator);

// "1.234,50" with group separator '.' and decimal ',', the minus sign given
// (a typographic "−" in printed reports).
std::string FormatCentsGrouped(int64_t cents, char decimal_separator, char group_separator,
                               std::string_view minus = "-");

// An amount as people type it: "12,50", "12.50", "12", " 3,5 " (a comma or a
// dot, at most two decimals, at most 12 characters) → cents; nullopt otherwise.
std::optional<int64_t> ParseEuroAmount(std::string_view text);

}  // namespace passwerk
