// The one reader of whole numbers in text from outside (query parameters,
// path segments, form fields): all of the text must be the number.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace passwerk {

// "42" → 42, "-7" → -7; nullopt for "", "+1", " 1", "12abc", "1e3", "0x10" and
// anything outside int64_t.
std::optional<int64_t> ParseInteger(std::string_view text);

// As ParseInteger, and only within [min, max].
std::optional<int64_t> ParseIntegerIn(std::string_view text, int64_t min, int64_t max);

}  // namespace passwerk
