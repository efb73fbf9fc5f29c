// RFC 4180 records in the dialect German spreadsheet programs write: ';' or
// ',' as separator (detected), quotes, line breaks inside quotes, CRLF or LF.
// Shared by the card import and the registration import.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace passwerk::csv {

// Without surrounding spaces, tabs and no-break spaces (common in cells pasted from the web).
std::string_view Trim(std::string_view text);

// Picks ';' or ',' by counting both outside quotes on the first line that has
// anything besides separators; ';' wins a tie.
char DetectSeparator(std::string_view text);

struct Record {
  int line = 0;                     // where the record starts
  std::vector<std::string> fields;  // untrimmed, quotes removed; at most the caller's limit
  bool has_extra_content = false;   // a non-blank field past the limit
  bool unterminated_quote = false;  // ran to the end of the input inside quotes
  std::string_view raw;             // the record's bytes, for the UTF-8 check
};

// A column name for matching: lower case, umlauts and ß spelt out, without
// spaces, dots, hyphens and underscores — "Staatsangehörigkeit",
// "staatsangehoerigkeit" and "Staats-Angehörigkeit" are one.
std::string NormalizeHeader(std::string_view name);

// dd.mm.yyyy (as German spreadsheets write dates) → YYYY-MM-DD; anything else
// stays as written, for the validation to name.
std::string IsoFromGermanDate(std::string_view text);

// Every field empty or spaces.
bool IsBlank(const Record& record);

// Appends a text cell for a ';'-separated export: quoted when needed, and a
// leading "'" before =, +, -, @, tab or CR keeps a spreadsheet from running it
// as a formula (the text may come from citizens or staff).
void AppendText(std::string& out, std::string_view value);

// Splits text into records, one at a time. Works on bytes: the separator,
// quote and line breaks are ASCII and never occur inside a UTF-8 sequence.
class RecordReader {
 public:
  RecordReader(std::string_view text, char separator)
      : text_(text), separator_(separator), specials_{separator, '"', '\r', '\n'} {}

  // Reads the next record, storing at most `max_fields` fields. False at the end.
  bool Next(std::size_t max_fields, Record& record);

 private:
  void SkipLineFeedAfter(char c);

  std::string_view text_;
  char separator_;
  std::string specials_;
  std::size_t pos_ = 0;
  int line_ = 1;
};

}  // namespace passwerk::csv
