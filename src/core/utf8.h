// UTF-8 validation for text that does not pass through a JSON parser
// (CSV files, HTML forms).
#pragma once

#include <cstddef>
#include <string_view>

namespace passwerk::utf8 {

// Length of the valid UTF-8 sequence at text[at] (decoded into `code_point`),
// or 0 if there is none: no overlong forms, surrogates or values past U+10FFFF.
std::size_t DecodeUtf8(std::string_view text, std::size_t at, char32_t& code_point);
bool IsValidUtf8(std::string_view text);

}  // namespace passwerk::utf8
