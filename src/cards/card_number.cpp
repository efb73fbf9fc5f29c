// Luhn check digits and the card number format.
#include "cards/card_number.h"

#include "core/crypto.h"

#include <cstdio>

namespace passwerk::cards {

int LuhnDigit(std::string_view digits) {
  int sum = 0;
  bool double_it = true;  // the digit left of the check digit is doubled
  for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
    int d = *it - '0';
    if (double_it) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double_it = !double_it;
  }
  return (10 - sum % 10) % 10;
}

bool LuhnValid(std::string_view digits_with_check) {
  if (digits_with_check.size() < 2) return false;
  return LuhnDigit(digits_with_check.substr(0, digits_with_check.size() - 1)) ==
         digits_with_check.back() - '0';
}

std::optional<std::string> NormalizeCardNumber(std::string_view input) {
  std::string digits;
  for (char c : input) {
    if (c == ' ' || c == '-') continue;
    if (c < '0' || c > '9') return std::nullopt;
    digits.push_back(c);
    if (digits.size() > kCardNumberDigits) return std::nullopt;
  }
  if (digits.size() != kCardNumberDigits || !LuhnValid(digits)) return std::nullopt;
  return digits;
}

std::string MakeCardNumber(int scheme_code, uint32_t serial) {
  char body[16];
  std::snprintf(body, sizeof body, "%03d%08u", scheme_code, serial % 100000000u);
  std::string number(body);
  number.push_back(static_cast<char>('0' + LuhnDigit(number)));
  return number;
}

std::string FormatCardNumber(std::string_view digits) {
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && i % 4 == 0) out.push_back(' ');
    out.push_back(digits[i]);
  }
  return out;
}

std::string RandomCardNumber(int scheme_code) {
  uint32_t serial = 0;
  for (char c : crypto::RandomBytes(4)) serial = (serial << 8) | static_cast<unsigned char>(c);
  return MakeCardNumber(scheme_code, serial % 100000000u);
}

}  // namespace passwerk::cards
