// Card numbers: 12 digits, grouped 4-4-4 for people — a 3-digit scheme code
// (unique within an installation), an 8-digit serial drawn at random, and a
// Luhn check digit, so typing errors are caught before any lookup.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace passwerk::cards {

constexpr int kCardNumberDigits = 12;

// Luhn check digit for a string of digits.
int LuhnDigit(std::string_view digits);
bool LuhnValid(std::string_view digits_with_check);

// Strips spaces and hyphens; returns the 12 digits if the result is 12
// digits with a valid check digit, else nullopt.
std::optional<std::string> NormalizeCardNumber(std::string_view input);

// scheme_code 100–999, serial 0–99'999'999.
std::string MakeCardNumber(int scheme_code, uint32_t serial);

// A number of this scheme with a random serial (callers check it is free).
std::string RandomCardNumber(int scheme_code);

// "1234 5678 9012" for print and screen.
std::string FormatCardNumber(std::string_view digits);

}  // namespace passwerk::cards
