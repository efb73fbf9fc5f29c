#include "core/money.h"

#include "core/numbers.h"

namespace passwerk {
namespace {

// Through unsigned: the magnitude of INT64_MIN does not fit int64_t.
uint64_t Magnitude(int64_t cents) {
  return cents < 0 ? 0 - static_cast<uint64_t>(cents) : static_cast<uint64_t>(cents);
}

std::string Fraction(uint64_t magnitude) {
  const unsigned rest = static_cast<unsigned>(magnitude % 100);
  return std::string(1, static_cast<char>('0' + rest / 10)) + static_cast<char>('0' + rest % 10);
}

}  // namespace

std::string FormatCents(int64_t cents, char decimal_separator) {
  const uint64_t magnitude = Magnitude(cents);
  return (cents < 0 ? "-" : "") + std::to_string(magnitude / 100) + decimal_separator + Fraction(magnitude);
}

std::string FormatCentsGrouped(int64_t cents, char decimal_separator, char group_separator, std::string_view minus) {
  const uint64_t magnitude = Magnitude(cents);
  const std::string whole = std::to_string(magnitude / 100);
  std::string out(cents < 0 ? minus : std::string_view());
  for (size_t i = 0; i < whole.size(); ++i) {
    if (i > 0 && (whole.size() - i) % 3 == 0) out += group_separator;
    out += whole[i];
  }
  return out + decimal_separator + Fraction(magnitude);
}

std::optional<int64_t> ParseEuroAmount(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  if (text.empty() || text.size() > 12) return std::nullopt;
  const size_t separator = text.find_first_of(",.");
  const std::string_view whole = text.substr(0, separator);
  std::string fraction(separator == std::string_view::npos ? "" : text.substr(separator + 1));
  if (whole.empty() || fraction.size() > 2) return std::nullopt;
  for (char c : fraction) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  while (fraction.size() < 2) fraction += '0';
  std::optional<int64_t> euros = ParseIntegerIn(whole, 0, INT64_MAX / 100 - 99);
  if (!euros) return std::nullopt;
  return *euros * 100 + (fraction[0] - '0') * 10 + (fraction[1] - '0');
}

}  // namespace passwerk
