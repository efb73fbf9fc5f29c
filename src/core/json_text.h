// The one hand-written JSON string writer, for the few places that write JSON
// text without building a nlohmann tree (the partner check's answer, the
// access log). It writes what nlohmann's dump() writes with invalid UTF-8
// replaced: the same bytes, so either may produce an answer.
#pragma once

#include <string_view>

#include "core/utf8.h"

namespace passwerk {

// Appends `text` as a JSON string literal with its quotes: '"' and '\' escaped,
// \b \f \n \r \t and other control characters as escapes, valid UTF-8 as it
// is, every byte that is not valid UTF-8 as U+FFFD. `Out` is a std::string or
// fmt::memory_buffer (push_back and append of a range).
template <typename Out>
void AppendJsonString(Out& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  static constexpr std::string_view kReplacement = "\xEF\xBF\xBD";
  out.push_back('"');
  for (std::size_t i = 0; i < text.size(); ++i) {
    // Runs of printable ASCII other than '"' and '\\' (all of a partner check's answer) go in one append.
    std::size_t run = i;
    while (run < text.size() && static_cast<unsigned char>(text[run]) >= 0x20 &&
           static_cast<unsigned char>(text[run]) < 0x80 && text[run] != '"' && text[run] != '\\') {
      ++run;
    }
    if (run > i) {
      out.append(text.data() + i, text.data() + run);
      i = run - 1;
      continue;
    }
    const char c = text[i];
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
      continue;
    }
    if (byte < 0x20) {
      const char* short_escape = c == '\b'   ? "\\b"
                                 : c == '\f' ? "\\f"
                                 : c == '\n' ? "\\n"
                                 : c == '\r' ? "\\r"
                                 : c == '\t' ? "\\t"
                                             : nullptr;
      if (short_escape) {
        out.append(short_escape, short_escape + 2);
      } else {
        const char escape[6] = {'\\', 'u', '0', '0', kHex[byte >> 4], kHex[byte & 0xf]};
        out.append(escape, escape + 6);
      }
      continue;
    }
    char32_t code_point = 0;
    const std::size_t length = utf8::DecodeUtf8(text, i, code_point);
    if (length == 0) {
      out.append(kReplacement.data(), kReplacement.data() + kReplacement.size());
    } else {
      out.append(text.data() + i, text.data() + i + length);
      i += length - 1;
    }
  }
  out.push_back('"');
}

}  // namespace passwerk
