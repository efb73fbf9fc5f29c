#include "core/csv.h"

#include <algorithm>
#include <cctype>
#include <utility>

#include "core/dates.h"

namespace passwerk::csv {
namespace {

constexpr std::string_view kNoBreakSpace = "\xC2\xA0";

// Bytes that end a run of ordinary bytes inside quotes.
constexpr std::string_view kQuotedSpecials = "\"\r\n";

}  // namespace

std::string_view Trim(std::string_view text) {
  while (true) {
    if (!text.empty() && (text.front() == ' ' || text.front() == '\t')) {
      text.remove_prefix(1);
    } else if (text.starts_with(kNoBreakSpace)) {
      text.remove_prefix(kNoBreakSpace.size());
    } else {
      break;
    }
  }
  while (true) {
    if (!text.empty() && (text.back() == ' ' || text.back() == '\t')) {
      text.remove_suffix(1);
    } else if (text.ends_with(kNoBreakSpace)) {
      text.remove_suffix(kNoBreakSpace.size());
    } else {
      break;
    }
  }
  return text;
}

std::string NormalizeHeader(std::string_view name) {
  std::string text(Trim(name));
  for (auto [from, to] :
       {std::pair{"Ä", "ae"}, {"Ö", "oe"}, {"Ü", "ue"}, {"ä", "ae"}, {"ö", "oe"}, {"ü", "ue"}, {"ß", "ss"}}) {
    for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at)) {
      text.replace(at, std::string_view(from).size(), to);
    }
  }
  std::string out;
  for (char c : text) {
    if (c == ' ' || c == '.' || c == '-' || c == '_') continue;
    out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

std::string IsoFromGermanDate(std::string_view text) {
  if (text.size() == 10 && text[2] == '.' && text[5] == '.') {
    std::string iso =
        std::string(text.substr(6, 4)) + "-" + std::string(text.substr(3, 2)) + "-" + std::string(text.substr(0, 2));
    if (ParseIsoDate(iso)) return iso;
  }
  return std::string(text);
}

char DetectSeparator(std::string_view text) {
  int semicolons = 0, commas = 0;
  bool in_quotes = false, has_content = false;
  for (char c : text) {
    if (c == '"') {
      in_quotes = !in_quotes;
    } else if (in_quotes) {
      has_content = true;
    } else if (c == ';') {
      ++semicolons;
    } else if (c == ',') {
      ++commas;
    } else if (c == '\r' || c == '\n') {
      if (has_content) break;
      semicolons = commas = 0;
    } else if (c != ' ' && c != '\t') {
      has_content = true;
    }
  }
  return commas > semicolons ? ',' : ';';
}

bool IsBlank(const Record& record) {
  return !record.has_extra_content && !record.unterminated_quote &&
         std::all_of(record.fields.begin(), record.fields.end(),
                     [](const std::string& field) { return Trim(field).empty(); });
}

bool RecordReader::Next(std::size_t max_fields, Record& record) {
  if (pos_ >= text_.size()) return false;
  record.line = line_;
  record.fields.clear();
  record.has_extra_content = false;
  record.unterminated_quote = false;
  const std::size_t start = pos_;
  std::string field;
  bool in_quotes = false;
  bool was_quoted = false;
  auto end_field = [&] {
    if (record.fields.size() < max_fields) {
      record.fields.push_back(std::move(field));
    } else if (!Trim(field).empty()) {
      record.has_extra_content = true;
    }
    field.clear();
    was_quoted = false;
  };
  while (pos_ < text_.size()) {
    // Copy the run of ordinary bytes up to the next byte that matters.
    const std::size_t special = text_.find_first_of(in_quotes ? kQuotedSpecials : std::string_view(specials_), pos_);
    const std::size_t run_end = special == std::string_view::npos ? text_.size() : special;
    field.append(text_.substr(pos_, run_end - pos_));
    pos_ = run_end;
    if (pos_ == text_.size()) break;
    const char c = text_[pos_++];
    if (in_quotes) {
      if (c == '"') {
        if (pos_ < text_.size() && text_[pos_] == '"') {
          field += '"';
          ++pos_;
        } else {
          in_quotes = false;
        }
      } else {  // a line break inside quotes belongs to the value
        SkipLineFeedAfter(c);
        field += '\n';
      }
    } else if (c == '"') {
      if (!was_quoted && Trim(field).empty()) {
        // Opening quote; spaces before it (hand-written files) are dropped.
        field.clear();
        in_quotes = was_quoted = true;
      } else {
        field += c;
      }
    } else if (c == separator_) {
      end_field();
    } else {  // end of the record
      SkipLineFeedAfter(c);
      end_field();
      record.raw = text_.substr(start, pos_ - start);
      return true;
    }
  }
  record.unterminated_quote = in_quotes;
  end_field();
  record.raw = text_.substr(start);
  return true;
}

// Counts a line break; CRLF is one.
void RecordReader::SkipLineFeedAfter(char c) {
  if (c == '\r' && pos_ < text_.size() && text_[pos_] == '\n') ++pos_;
  ++line_;
}

void AppendText(std::string& out, std::string_view value) {
  constexpr std::string_view kFormulaStarts = "=+-@\t\r";
  const bool quoted = value.find_first_of(";,\"\r\n") != std::string_view::npos;
  if (quoted) out += '"';
  if (!value.empty() && kFormulaStarts.find(value.front()) != std::string_view::npos) out += '\'';
  for (char c : value) {
    if (c == '"') out += '"';
    out += c;
  }
  if (quoted) out += '"';
}

}  // namespace passwerk::csv
