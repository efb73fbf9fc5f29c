#include "core/numbers.h"

#include <charconv>

namespace passwerk {

std::optional<int64_t> ParseInteger(std::string_view text) {
  if (text.empty()) return std::nullopt;
  int64_t value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, error] = std::from_chars(text.data(), end, value, 10);
  if (error != std::errc() || ptr != end) return std::nullopt;
  return value;
}

std::optional<int64_t> ParseIntegerIn(std::string_view text, int64_t min, int64_t max) {
  std::optional<int64_t> value = ParseInteger(text);
  if (!value || *value < min || *value > max) return std::nullopt;
  return value;
}

}  // namespace passwerk
