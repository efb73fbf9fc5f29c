// CSV import and export of card holders: a record reader (RFC 4180 quoting,
// any line end), German/English header matching, field checks that list every
// problem, and an Excel-safe writer.
#include "cards/card_csv.h"

#include "core/csv.h"
#include "core/utf8.h"

#include <algorithm>
#include <array>
#include <optional>
#include <utility>

#include "core/status.h"

namespace passwerk::cards {
namespace {

constexpr std::size_t kMaxNameChars = 100;
constexpr std::size_t kMaxTextChars = 200;
constexpr std::size_t kMaxCardNumberChars = 40;
constexpr std::size_t kMaxHeaderColumns = 100;
constexpr std::size_t kMaxColumnNameBytes = 64;
constexpr std::size_t kMaxEchoedChars = 40;  // of a bad value repeated in a message
constexpr int kMinYear = 1900;

constexpr std::string_view kBom = "\xEF\xBB\xBF";
constexpr std::string_view kNoBreakSpace = "\xC2\xA0";
// A cell starting with one of these is run as a formula by spreadsheets.
constexpr std::string_view kFormulaStarts = "=+-@\t\r";

constexpr std::string_view kNotUtf8 = "this line is not valid UTF-8; in Excel save the file as \"CSV UTF-8\"";

// ---------------------------------------------------------------- columns

enum class Field {
  kFamilyName,
  kGivenName,
  kBirthDate,
  kStreet,
  kPostalCode,
  kCity,
  kDiscountClass,
  kValidFrom,
  kCardNumber,
  // Written by WriteCardCsv, ignored on import.
  kCirculationCounter,
  kScheme,
  kState,
  kValidUntil,
};
constexpr std::size_t kFieldCount = 13;

struct FieldInfo {
  Field field;
  std::string_view german;  // written on export; names a missing column
  std::string_view english;
  bool required;
  bool imported;
};

// Indexed by Field.
constexpr std::array<FieldInfo, kFieldCount> kFieldInfos = {{
    {Field::kFamilyName, "Nachname", "family_name", true, true},
    {Field::kGivenName, "Vorname", "given_name", true, true},
    {Field::kBirthDate, "Geburtsdatum", "birth_date", true, true},
    {Field::kStreet, "Straße", "street", false, true},
    {Field::kPostalCode, "PLZ", "postal_code", false, true},
    {Field::kCity, "Ort", "city", false, true},
    {Field::kDiscountClass, "Ermäßigung", "discount_class", false, true},
    {Field::kValidFrom, "Gültig ab", "valid_from", false, true},
    {Field::kCardNumber, "Kartennummer", "card_number", false, true},
    {Field::kCirculationCounter, "Umlaufzähler", "circulation_counter", false, false},
    {Field::kScheme, "Programm", "scheme", false, false},
    {Field::kState, "Status", "state", false, false},
    {Field::kValidUntil, "Gültig bis", "valid_until", false, false},
}};

constexpr bool FieldInfosInEnumOrder() {
  for (std::size_t i = 0; i < kFieldCount; ++i) {
    if (static_cast<std::size_t>(kFieldInfos[i].field) != i) return false;
  }
  return true;
}
static_assert(FieldInfosInEnumOrder());

const FieldInfo& Info(Field field) { return kFieldInfos[static_cast<std::size_t>(field)]; }

// Header names after NormalizeColumnName.
constexpr std::pair<std::string_view, Field> kAliases[] = {
    {"nachname", Field::kFamilyName},
    {"family name", Field::kFamilyName},
    {"vorname", Field::kGivenName},
    {"given name", Field::kGivenName},
    {"geburtsdatum", Field::kBirthDate},
    {"birth date", Field::kBirthDate},
    {"straße", Field::kStreet},
    {"strasse", Field::kStreet},
    {"street", Field::kStreet},
    {"plz", Field::kPostalCode},
    {"postal code", Field::kPostalCode},
    {"ort", Field::kCity},
    {"wohnort", Field::kCity},
    {"city", Field::kCity},
    {"ermäßigung", Field::kDiscountClass},
    {"ermaessigung", Field::kDiscountClass},
    {"ermässigung", Field::kDiscountClass},
    {"rabattklasse", Field::kDiscountClass},
    {"discount class", Field::kDiscountClass},
    {"gültig ab", Field::kValidFrom},
    {"gueltig ab", Field::kValidFrom},
    {"valid from", Field::kValidFrom},
    {"kartennummer", Field::kCardNumber},
    {"card number", Field::kCardNumber},
    {"umlaufzähler", Field::kCirculationCounter},
    {"umlaufzaehler", Field::kCirculationCounter},
    {"circulation counter", Field::kCirculationCounter},
    {"programm", Field::kScheme},
    {"scheme", Field::kScheme},
    {"status", Field::kState},
    {"state", Field::kState},
    {"gültig bis", Field::kValidUntil},
    {"gueltig bis", Field::kValidUntil},
    {"valid until", Field::kValidUntil},
};

void ReplaceAll(std::string& text, std::string_view from, std::string_view to) {
  for (std::size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
}

// Lower case (ASCII and German capitals), "_" and "-" as spaces, runs of
// spaces collapsed, and umlauts composed (macOS writes "u" + U+0308).
std::string NormalizeColumnName(std::string_view name) {
  std::string folded;
  for (char c : name) {
    if (c >= 'A' && c <= 'Z') {
      folded += static_cast<char>(c - 'A' + 'a');
    } else if (c == '_' || c == '-' || c == '\t') {
      folded += ' ';
    } else {
      folded += c;
    }
  }
  static constexpr std::pair<std::string_view, std::string_view> kFolds[] = {
      {"\xC3\x84", "\xC3\xA4"},  {"\xC3\x96", "\xC3\xB6"},  {"\xC3\x9C", "\xC3\xBC"},  {"\xE1\xBA\x9E", "\xC3\x9F"},
      {"a\xCC\x88", "\xC3\xA4"}, {"o\xCC\x88", "\xC3\xB6"}, {"u\xCC\x88", "\xC3\xBC"},
  };
  for (const auto& [from, to] : kFolds) ReplaceAll(folded, from, to);

  std::string normalized;
  bool pending_space = false;
  for (char c : folded) {
    if (c == ' ') {
      pending_space = !normalized.empty();
      continue;
    }
    if (pending_space) normalized += ' ';
    pending_space = false;
    normalized += c;
  }
  return normalized;
}

std::optional<Field> LookUpColumn(std::string_view name) {
  if (name.size() > kMaxColumnNameBytes) return std::nullopt;  // no alias is this long
  const std::string normalized = NormalizeColumnName(name);
  for (const auto& [alias, field] : kAliases) {
    if (alias == normalized) return field;
  }
  return std::nullopt;
}

std::string KnownColumnsList() {
  std::string german, english;
  for (const FieldInfo& info : kFieldInfos) {
    if (!info.imported) continue;
    if (!german.empty()) {
      german += ", ";
      english += ", ";
    }
    german += info.german;
    english += info.english;
  }
  return german + " (or in English: " + english + ")";
}

// ---------------------------------------------------------------- text

using utf8::DecodeUtf8;
using utf8::IsValidUtf8;

// Characters, not bytes; `text` is valid UTF-8.
std::size_t CharCount(std::string_view text) {
  return static_cast<std::size_t>(
      std::count_if(text.begin(), text.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

bool IsControl(char32_t code_point) { return code_point < 0x20 || (code_point >= 0x7F && code_point <= 0x9F); }

// C0/C1 controls and DEL; `allow_line_break` lets "\n" (a multi-line cell) through.
bool HasControlChar(std::string_view text, bool allow_line_break) {
  for (std::size_t at = 0; at < text.size();) {
    char32_t code_point = 0;
    const std::size_t length = DecodeUtf8(text, at, code_point);
    if (length == 0) return true;
    if (IsControl(code_point) && !(allow_line_break && code_point == '\n')) return true;
    at += length;
  }
  return false;
}

using csv::Trim;

// A bad value in single quotes for a message: at most kMaxEchoedChars
// characters, controls shown as spaces. `value` is valid UTF-8.
std::string Echo(std::string_view value) {
  std::string out = "'";
  std::size_t chars = 0;
  for (std::size_t at = 0; at < value.size();) {
    if (chars++ == kMaxEchoedChars) {
      out += "…";
      break;
    }
    char32_t code_point = 0;
    const std::size_t length = std::max<std::size_t>(DecodeUtf8(value, at, code_point), 1);
    if (IsControl(code_point)) {
      out += ' ';
    } else {
      out += value.substr(at, length);
    }
    at += length;
  }
  return out + "'";
}

// Whether a spreadsheet would evaluate `value`, also behind the "'" the
// export adds and behind spaces a spreadsheet may trim.
bool LooksLikeFormula(std::string_view value) {
  const std::size_t first = value.find_first_not_of("' ");
  return first != std::string_view::npos && kFormulaStarts.find(value[first]) != std::string_view::npos;
}

// Undoes the "'" WriteCardCsv puts before a formula-like value.
std::string_view UnescapeFormula(std::string_view value) {
  if (value.starts_with('\'') && LooksLikeFormula(value)) value.remove_prefix(1);
  return value;
}

bool AllDigits(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

int ToInt(std::string_view digits) {
  int value = 0;
  for (char c : digits) value = value * 10 + (c - '0');
  return value;
}

// ---------------------------------------------------------------- dates

bool IsLeapYear(int year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

int DaysInMonth(int year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && IsLeapYear(year) ? 29 : kDays[month - 1];
}

std::string FormatIsoDate(int year, int month, int day) {
  std::string iso = "0000-00-00";
  auto put = [&iso](std::size_t end, int value) {
    for (std::size_t at = end; value > 0; value /= 10) iso[--at] = static_cast<char>('0' + value % 10);
  };
  put(4, year);
  put(7, month);
  put(10, day);
  return iso;
}

bool IsIsoShaped(std::string_view text) {
  return text.size() == 10 && text[4] == '-' && text[7] == '-' && AllDigits(text.substr(0, 4)) &&
         AllDigits(text.substr(5, 2)) && AllDigits(text.substr(8, 2));
}

// dd.mm.yyyy, d.m.yyyy or yyyy-mm-dd → ISO; a real date from 1900 on.
Result<std::string> ParseDate(std::string_view text) {
  auto format_error = [text] {
    return InvalidArgument(Echo(text) + " is not a date; write it as dd.mm.yyyy (e.g. 01.05.1980) or yyyy-mm-dd");
  };
  int year = 0, month = 0, day = 0;
  if (IsIsoShaped(text)) {
    year = ToInt(text.substr(0, 4));
    month = ToInt(text.substr(5, 2));
    day = ToInt(text.substr(8, 2));
  } else {
    const std::size_t dot1 = text.find('.');
    const std::size_t dot2 = dot1 == std::string_view::npos ? dot1 : text.find('.', dot1 + 1);
    if (dot2 == std::string_view::npos) return format_error();
    const std::string_view d = text.substr(0, dot1);
    const std::string_view m = text.substr(dot1 + 1, dot2 - dot1 - 1);
    const std::string_view y = text.substr(dot2 + 1);
    if (!AllDigits(d) || d.size() > 2 || !AllDigits(m) || m.size() > 2 || !AllDigits(y)) {
      return format_error();
    }
    if (y.size() == 2) return InvalidArgument(Echo(text) + " has a two-digit year; write the year with four digits");
    if (y.size() != 4) return format_error();
    year = ToInt(y);
    month = ToInt(m);
    day = ToInt(d);
  }
  if (month < 1 || month > 12 || day < 1 || day > DaysInMonth(year, month)) {
    return InvalidArgument(Echo(text) + " is not a real calendar date");
  }
  if (year < kMinYear) return InvalidArgument(Echo(text) + " is before 1900");
  return FormatIsoDate(year, month, day);
}

// "1980-05-01" → "01.05.1980"; anything else is written as it is.
std::string GermanDate(std::string_view iso) {
  if (!IsIsoShaped(iso)) return std::string(iso);
  std::string german;
  german.append(iso.substr(8, 2)).append(".").append(iso.substr(5, 2)).append(".").append(iso.substr(0, 4));
  return german;
}

// ---------------------------------------------------------------- fields

Result<std::string> CheckName(std::string_view value) {
  if (value.empty()) return InvalidArgument("required, but empty");
  if (HasControlChar(value, false)) return InvalidArgument("contains a line break or control character");
  const std::size_t chars = CharCount(value);
  if (chars > kMaxNameChars) {
    return InvalidArgument("too long: " + std::to_string(chars) + " characters, at most " +
                           std::to_string(kMaxNameChars));
  }
  return std::string(value);
}

Result<std::string> CheckText(std::string_view value, bool allow_line_break) {
  if (HasControlChar(value, allow_line_break)) {
    return InvalidArgument(allow_line_break ? "contains a control character"
                                            : "contains a line break or control character");
  }
  const std::size_t chars = CharCount(value);
  if (chars > kMaxTextChars) {
    return InvalidArgument("too long: " + std::to_string(chars) + " characters, at most " +
                           std::to_string(kMaxTextChars));
  }
  return std::string(value);
}

Result<std::string> CheckPostalCode(std::string_view value) {
  if (AllDigits(value) && value.size() == 5) return std::string(value);
  // German codes 01000–09999 lose their leading zero when Excel reads them as numbers.
  if (AllDigits(value) && value.size() == 4) return "0" + std::string(value);
  return InvalidArgument(Echo(value) + " is not a German postal code (5 digits)");
}

Result<std::string> CheckCardNumber(std::string_view value) {
  const bool allowed =
      std::all_of(value.begin(), value.end(), [](char c) { return (c >= '0' && c <= '9') || c == ' ' || c == '-'; });
  const bool has_digit = std::any_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (allowed && has_digit && value.size() <= kMaxCardNumberChars) return std::string(value);
  if (value.find_first_of("eE") != std::string_view::npos && value.find('+') != std::string_view::npos) {
    return InvalidArgument(Echo(value) +
                           " is a card number Excel turned into a number; format the column as text and "
                           "type the numbers again");
  }
  return InvalidArgument(Echo(value) + " is not a card number (digits, spaces and hyphens only)");
}

// ---------------------------------------------------------------- records

using csv::DetectSeparator;
using csv::IsBlank;
using csv::Record;
using csv::RecordReader;

// ---------------------------------------------------------------- parser

CardImport FileTooLarge() {
  CardImport result;
  result.problems.push_back({0, "",
                             "file too large: at most 10 MiB and 100,000 data lines can be imported at "
                             "once; split the file"});
  return result;
}

struct Column {
  std::string name;            // as written, trimmed; empty: the column has no header
  std::optional<Field> field;  // nullopt: unknown or duplicate, its values are ignored
};

class CardCsvParser {
 public:
  explicit CardCsvParser(std::string_view today) : today_(today) {}

  CardImport Run(std::string_view text) {
    if (text.starts_with(kBom)) text.remove_prefix(kBom.size());
    RecordReader reader(text, DetectSeparator(text));
    Record record;
    do {
      if (!reader.Next(kMaxHeaderColumns, record)) {
        Report(1, "", "the file is empty; it needs a header line naming the columns");
        return Finish();
      }
    } while (IsBlank(record));
    if (!ReadHeader(record)) return Finish();

    while (reader.Next(columns_.size(), record)) {
      if (IsBlank(record)) continue;
      if (++result_.data_lines > kCsvMaxDataLines) return FileTooLarge();
      ReadDataRecord(record);
    }
    if (!header_ok_) result_.rows.clear();
    return Finish();
  }

 private:
  // False if the header cannot be read at all (nothing else is checked then).
  bool ReadHeader(const Record& record) {
    const int line = record.line;
    if (record.unterminated_quote) {
      Report(line, "", "a quoted column name is not closed: a '\"' is missing");
      return false;
    }
    if (!IsValidUtf8(record.raw)) {
      Report(line, "", std::string(kNotUtf8));
      return false;
    }
    if (record.has_extra_content) {
      Report(line, "", "more than " + std::to_string(kMaxHeaderColumns) + " columns");
      return false;
    }
    std::array<bool, kFieldCount> seen{};
    for (const std::string& raw_name : record.fields) {
      Column column{std::string(Trim(raw_name)), std::nullopt};
      if (!column.name.empty()) {
        const std::optional<Field> field = LookUpColumn(column.name);
        if (!field) {
          Report(line, column.name,
                 "unknown column " + Echo(column.name) + "; the known columns are " + KnownColumnsList());
          header_ok_ = false;
        } else if (seen[static_cast<std::size_t>(*field)]) {
          Report(line, column.name, "this column appears more than once");
          header_ok_ = false;
        } else {
          seen[static_cast<std::size_t>(*field)] = true;
          column.field = field;
        }
      }
      columns_.push_back(std::move(column));
    }
    for (const FieldInfo& info : kFieldInfos) {
      if (info.required && !seen[static_cast<std::size_t>(info.field)]) {
        Report(
            line, std::string(info.german),
            "required column '" + std::string(info.german) + "' (or '" + std::string(info.english) + "') is missing");
        header_ok_ = false;
      }
    }
    return true;
  }

  void ReadDataRecord(const Record& record) {
    const int line = record.line;
    if (record.unterminated_quote) {
      Report(line, "",
             "a quoted value is not closed, so the rest of the file was read as part of it; a '\"' is "
             "missing");
      return;
    }
    if (!IsValidUtf8(record.raw)) {
      Report(line, "", std::string(kNotUtf8));
      return;
    }
    CardImportRow row;
    row.line = line;
    bool ok = true;
    bool stray_value = record.has_extra_content;
    for (std::size_t i = 0; i < columns_.size(); ++i) {
      const Column& column = columns_[i];
      const std::string_view value =
          i < record.fields.size() ? UnescapeFormula(Trim(record.fields[i])) : std::string_view();
      if (column.name.empty()) {
        stray_value = stray_value || !value.empty();
        continue;
      }
      if (!column.field) continue;
      const Status status = CheckField(*column.field, value, row);
      if (!status.ok()) {
        Report(line, column.name, status.message());
        ok = false;
      }
    }
    if (stray_value) {
      Report(line, "", "more values than the header names columns; remove them or add a column name");
      ok = false;
    }
    if (ok) result_.rows.push_back(std::move(row));
  }

  Status CheckField(Field field, std::string_view value, CardImportRow& row) const {
    switch (field) {
      case Field::kFamilyName:
        return Assign(CheckName(value), row.family_name);
      case Field::kGivenName:
        return Assign(CheckName(value), row.given_name);
      case Field::kBirthDate: {
        if (value.empty()) return InvalidArgument("required, but empty");
        Result<std::string> date = ParseDate(value);
        if (date.ok() && *date > today_) return InvalidArgument(Echo(value) + " is in the future");
        return Assign(std::move(date), row.birth_date);
      }
      case Field::kStreet:
        return Assign(CheckText(value, true), row.street);
      case Field::kPostalCode:
        return value.empty() ? Status::Ok() : Assign(CheckPostalCode(value), row.postal_code);
      case Field::kCity:
        return Assign(CheckText(value, false), row.city);
      case Field::kDiscountClass:
        return Assign(CheckText(value, false), row.discount_class);
      case Field::kValidFrom:
        return value.empty() ? Status::Ok() : Assign(ParseDate(value), row.valid_from);
      case Field::kCardNumber:
        return value.empty() ? Status::Ok() : Assign(CheckCardNumber(value), row.card_number);
      case Field::kCirculationCounter:
      case Field::kScheme:
      case Field::kState:
      case Field::kValidUntil:
        return Status::Ok();
    }
    return Internal("unhandled column");
  }

  static Status Assign(Result<std::string> checked, std::string& out) {
    if (!checked.ok()) return checked.status();
    out = std::move(checked).value();
    return Status::Ok();
  }

  void Report(int line, std::string column, std::string message) {
    if (result_.problems.size() < kCsvMaxProblems) {
      result_.problems.push_back({line, std::move(column), std::move(message)});
    } else {
      problems_truncated_ = true;
    }
  }

  CardImport Finish() {
    if (problems_truncated_) {
      result_.problems.push_back({0, "",
                                  "more than " + std::to_string(kCsvMaxProblems) + " problems; only the first " +
                                      std::to_string(kCsvMaxProblems) + " are listed"});
    }
    return std::move(result_);
  }

  std::string_view today_;
  std::vector<Column> columns_;
  bool header_ok_ = true;
  bool problems_truncated_ = false;
  CardImport result_;
};

// ---------------------------------------------------------------- export

void AppendField(std::string& out, std::string_view value) {
  const bool quoted = value.find_first_of(";,\"\r\n") != std::string_view::npos;
  if (quoted) out += '"';
  if (LooksLikeFormula(value)) out += '\'';
  for (char c : value) {
    if (c == '"') out += '"';
    out += c;
  }
  if (quoted) out += '"';
}

void AppendLine(std::string& out, std::initializer_list<std::string_view> fields) {
  bool first = true;
  for (std::string_view field : fields) {
    if (!first) out += ';';
    first = false;
    AppendField(out, field);
  }
  out += "\r\n";
}

}  // namespace

CardImport ParseCardCsv(std::string_view bytes, std::string_view today) {
  if (bytes.size() > kCsvMaxBytes) return FileTooLarge();
  const Result<std::string> today_iso = ParseDate(today);
  if (!today_iso.ok() || *today_iso != today) {
    CardImport result;
    result.problems.push_back({0, "", "internal error: no valid date for today"});
    return result;
  }
  return CardCsvParser(today).Run(bytes);
}

std::string WriteCardCsv(const std::vector<CardExportRow>& rows) {
  std::string out(kBom);
  auto name = [](Field field) { return Info(field).german; };
  AppendLine(
      out, {name(Field::kCardNumber), name(Field::kCirculationCounter), name(Field::kScheme), name(Field::kFamilyName),
            name(Field::kGivenName), name(Field::kBirthDate), name(Field::kDiscountClass), name(Field::kState),
            name(Field::kValidFrom), name(Field::kValidUntil)});
  for (const CardExportRow& row : rows) {
    AppendLine(out, {row.card_number, row.circulation_counter, row.scheme, row.family_name, row.given_name,
                     GermanDate(row.birth_date), row.discount_class, row.state, GermanDate(row.valid_from),
                     GermanDate(row.valid_until)});
  }
  return out;
}

}  // namespace passwerk::cards
