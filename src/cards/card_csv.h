// Bulk import and export of card holders as CSV, in the dialect German Excel
// reads and writes: pure parsing and serialising, no I/O, no clock.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace passwerk::cards {

// Limits of one import file; beyond them the whole file is refused.
constexpr std::size_t kCsvMaxBytes = 10 * 1024 * 1024;
constexpr int kCsvMaxDataLines = 100'000;
// More problems than this are not listed (one closing note on line 0 says so).
constexpr std::size_t kCsvMaxProblems = 1000;

struct CardImportRow {
  int line = 0;                // 1-based line in the file where the record starts (header is line 1)
  std::string family_name;     // required, 1..100 characters after trim
  std::string given_name;      // required, 1..100 characters after trim
  std::string birth_date;      // ISO YYYY-MM-DD; a real date, 1900-01-01 ≤ birth_date ≤ today
  std::string street;          // optional; may hold line breaks (as "\n") from a multi-line cell
  std::string postal_code;     // optional; 5 digits (4 digits get the leading zero Excel dropped)
  std::string city;            // optional
  std::string discount_class;  // optional; empty = scheme default
  std::string valid_from;      // optional; ISO YYYY-MM-DD
  std::string card_number;     // optional; digits, spaces, hyphens as given (caller checks Luhn)
};

// `column` is the header name as written in the file, or "" for the line as a
// whole; `line` 0 means the file as a whole. `message` is English, for staff.
struct CsvProblem {
  int line = 0;
  std::string column;
  std::string message;
};

struct CardImport {
  std::vector<CardImportRow> rows;   // only records without any problem
  std::vector<CsvProblem> problems;  // in file order
  int data_lines = 0;                // non-blank records after the header
};

// Parses a CSV file of card holders. Separator (';' or ',') is detected from
// the header; quoting follows RFC 4180. Every bad field is listed as a problem
// and parsing goes on, so one pass shows everything to fix. A header problem
// (unknown, duplicate or missing column) leaves `rows` empty, so that a
// misspelt optional column such as "Kartenummer" cannot silently drop data.
// Columns written by WriteCardCsv that the import has no use for
// (Umlaufzähler, Programm, Status, Gültig bis) are accepted and ignored, so an
// export can be imported again. A leading "'" that WriteCardCsv put before a
// formula-like value is removed again.
// `today` is ISO YYYY-MM-DD.
CardImport ParseCardCsv(std::string_view bytes, std::string_view today);

struct CardExportRow {
  std::string card_number;  // pass it grouped ("1234 5678 9012"): Excel mangles 12 bare digits
  std::string circulation_counter;
  std::string scheme;
  std::string family_name;
  std::string given_name;
  std::string birth_date;  // ISO
  std::string discount_class;
  std::string state;
  std::string valid_from;   // ISO
  std::string valid_until;  // ISO
};

// Header plus one line per row: ';'-separated, UTF-8 with BOM, CRLF, dates
// as dd.mm.yyyy, German column names. Fields holding ';', ',', '"' or line
// breaks are quoted; fields a spreadsheet would run as a formula (leading
// '=', '+', '-', '@', tab, CR, also behind spaces or "'") get a leading "'"
// (OWASP CSV injection).
std::string WriteCardCsv(const std::vector<CardExportRow>& rows);

}  // namespace passwerk::cards
