#include "guestcards/registration_csv.h"

#include <algorithm>
#include <charconv>
#include <map>
#include <optional>

#include "core/csv.h"
#include "core/dates.h"
#include "core/utf8.h"

namespace passwerk::guestcards {
namespace {

using json = nlohmann::json;

constexpr size_t kMaxBytes = 10 * 1024 * 1024;
constexpr int kMaxDataLines = 100'000;
constexpr size_t kMaxRegistrations = 1000;  // as POST /api/v1/registrations/batch

enum class Column {
  kRegistration,
  kAccommodation,
  kArrival,
  kDeparture,
  kFamilyName,
  kGivenName,
  kBirthDate,
  kNationality,
  kGender,
  kStreet,
  kPostalCode,
  kCity,
  kCountry,
  kReductions,
  kCard,
  kCardBarcode,
  kConsent,
};

struct ColumnInfo {
  Column column;
  const char* name;   // as documented
  const char* field;  // the request field it fills ("" for the grouping key)
  bool required;
};

constexpr ColumnInfo kColumns[] = {
    {Column::kRegistration, "Meldeschein", "", true},
    {Column::kAccommodation, "Unterkunft", "accommodation_id", true},
    {Column::kArrival, "Anreise", "arrival", true},
    {Column::kDeparture, "Abreise", "departure", true},
    {Column::kFamilyName, "Familienname", "family_name", true},
    {Column::kGivenName, "Vorname", "given_name", true},
    {Column::kBirthDate, "Geburtsdatum", "birth_date", true},
    {Column::kNationality, "Staatsangehörigkeit", "nationality", true},
    {Column::kGender, "Geschlecht", "gender", true},
    {Column::kStreet, "Straße", "street", true},
    {Column::kPostalCode, "PLZ", "postal_code", true},
    {Column::kCity, "Ort", "city", true},
    {Column::kCountry, "Land", "country", true},
    {Column::kReductions, "Ermäßigungen", "reductions", false},
    {Column::kCard, "Gästekarte", "card", false},
    {Column::kCardBarcode, "Strichcode", "card_barcode", false},
    {Column::kConsent, "Werbeeinwilligung", "marketing_consent", false},
};

std::optional<Column> LookUp(std::string_view name) {
  std::string wanted = csv::NormalizeHeader(name);
  for (const ColumnInfo& info : kColumns) {
    if (csv::NormalizeHeader(info.name) == wanted) return info.column;
  }
  return std::nullopt;
}

const ColumnInfo& Info(Column column) {
  return *std::find_if(std::begin(kColumns), std::end(kColumns),
                       [&](const ColumnInfo& i) { return i.column == column; });
}

std::optional<bool> YesNo(std::string_view text) {
  std::string v = csv::NormalizeHeader(text);
  if (v == "ja" || v == "j" || v == "x" || v == "1" || v == "yes" || v == "true") return true;
  if (v.empty() || v == "nein" || v == "n" || v == "0" || v == "no" || v == "false") return false;
  return std::nullopt;
}

std::string Gender(std::string_view text) {
  std::string v = csv::NormalizeHeader(text);
  if (v == "w" || v == "weiblich" || v == "f") return "f";
  if (v == "m" || v == "maennlich") return "m";
  if (v == "d" || v == "divers") return "d";
  if (v == "x" || v == "kenieangabe" || v == "keineangabe" || v.empty()) return "x";
  return std::string(text);  // refused by the validation, at this column
}

}  // namespace

RegistrationCsv ParseRegistrationCsv(std::string_view bytes) {
  RegistrationCsv out;
  if (bytes.size() > kMaxBytes) {
    out.problems.push_back({0, "", "file too large: at most 10 MiB"});
    return out;
  }
  if (bytes.starts_with("\xEF\xBB\xBF")) bytes.remove_prefix(3);
  if (!utf8::IsValidUtf8(bytes)) {
    out.problems.push_back({0, "", "the file is not UTF-8 text: save it as \"CSV UTF-8\""});
    return out;
  }
  char separator = csv::DetectSeparator(bytes);
  csv::RecordReader reader(bytes, separator);
  csv::Record record;
  if (!reader.Next(64, record) || csv::IsBlank(record)) {
    out.problems.push_back({1, "", "the file has no header line"});
    return out;
  }
  std::map<Column, size_t> index;
  for (size_t i = 0; i < record.fields.size(); ++i) {
    std::string name(csv::Trim(record.fields[i]));
    out.header.push_back(name);
    if (name.empty()) continue;
    auto column = LookUp(name);
    if (!column) {
      out.problems.push_back({1, name, "unknown column"});
    } else if (!index.emplace(*column, i).second) {
      out.problems.push_back({1, name, "column appears twice"});
    }
  }
  for (const ColumnInfo& info : kColumns) {
    if (info.required && !index.contains(info.column)) out.problems.push_back({1, info.name, "column missing"});
  }
  if (!out.problems.empty()) return out;

  auto cell = [&](const csv::Record& r, Column c) -> std::string {
    auto it = index.find(c);
    if (it == index.end() || it->second >= r.fields.size()) return "";
    return std::string(csv::Trim(r.fields[it->second]));
  };
  std::map<std::string, size_t> by_key;  // "Meldeschein" value → registration index
  int data_lines = 0;
  while (reader.Next(out.header.size(), record)) {
    if (csv::IsBlank(record)) continue;
    if (++data_lines > kMaxDataLines) {
      out.problems.push_back({0, "", "too many lines: at most 100,000 guests per file"});
      return out;
    }
    if (record.unterminated_quote) {
      out.problems.push_back({record.line, "", "a quoted value is not closed"});
      continue;
    }
    if (record.has_extra_content) {
      out.problems.push_back({record.line, "", "more values than columns"});
      continue;
    }
    std::string key = cell(record, Column::kRegistration);
    if (key.empty()) {
      out.problems.push_back({record.line, Info(Column::kRegistration).name,
                              "required: rows of one registration "
                              "share a value"});
      continue;
    }
    auto card = YesNo(cell(record, Column::kCard));
    if (!index.contains(Column::kCard)) card = true;  // without the column every guest gets a card
    if (!card) {
      out.problems.push_back({record.line, Info(Column::kCard).name, "ja or nein"});
      continue;
    }
    auto consent = YesNo(cell(record, Column::kConsent));
    if (!consent) {
      out.problems.push_back({record.line, Info(Column::kConsent).name, "ja or nein"});
      continue;
    }
    json reductions = json::array();
    std::string list = cell(record, Column::kReductions);
    for (char& c : list) {
      if (c == '|' || c == ',' || c == ';') c = ' ';
    }
    for (size_t at = 0; at < list.size();) {
      size_t end = list.find(' ', at);
      if (end == std::string::npos) end = list.size();
      if (end > at) reductions.push_back(list.substr(at, end - at));
      at = end + 1;
    }
    std::string country = cell(record, Column::kCountry);
    std::string postal = cell(record, Column::kPostalCode);
    if ((country == "DE" || country == "de") && postal.size() == 4 &&
        std::all_of(postal.begin(), postal.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      postal = "0" + postal;  // the leading zero Excel dropped
    }
    json guest = {{"family_name", cell(record, Column::kFamilyName)},
                  {"given_name", cell(record, Column::kGivenName)},
                  {"birth_date", csv::IsoFromGermanDate(cell(record, Column::kBirthDate))},
                  {"nationality", cell(record, Column::kNationality)},
                  {"gender", Gender(cell(record, Column::kGender))},
                  {"address",
                   {{"street", cell(record, Column::kStreet)},
                    {"postal_code", postal},
                    {"city", cell(record, Column::kCity)},
                    {"country", country}}},
                  {"reductions", reductions},
                  {"card", *card}};
    if (std::string barcode = cell(record, Column::kCardBarcode); !barcode.empty()) {
      guest["card_barcode"] = barcode;
      if (cell(record, Column::kCard).empty()) guest.erase("card");  // the sticker says it all
    }
    json head = {{"accommodation_id", cell(record, Column::kAccommodation)},
                 {"arrival", csv::IsoFromGermanDate(cell(record, Column::kArrival))},
                 {"departure", csv::IsoFromGermanDate(cell(record, Column::kDeparture))},
                 {"marketing_consent", *consent}};
    auto [it, added] = by_key.emplace(key, out.registrations.size());
    if (added && out.registrations.size() == kMaxRegistrations) {
      out.problems.push_back(
          {record.line, Info(Column::kRegistration).name, "at most 1000 registrations per file: split it"});
      return out;
    }
    if (added) {
      head["guests"] = json::array({guest});
      out.registrations.push_back(std::move(head));
      out.guest_lines.push_back({record.line});
      continue;
    }
    json& registration = out.registrations[it->second];
    for (auto [column, field] : {std::pair{Column::kAccommodation, "accommodation_id"},
                                 {Column::kArrival, "arrival"},
                                 {Column::kDeparture, "departure"},
                                 {Column::kConsent, "marketing_consent"}}) {
      if (registration[field] != head[field]) {
        out.problems.push_back(
            {record.line, Info(column).name, "differs from the first row of registration \"" + key + "\""});
      }
    }
    registration["guests"].push_back(std::move(guest));
    out.guest_lines[it->second].push_back(record.line);
  }
  if (out.registrations.empty() && out.problems.empty()) out.problems.push_back({0, "", "the file lists no guests"});
  return out;
}

CsvProblem LocateProblem(const RegistrationCsv& csv, size_t index, const Status& status) {
  CsvProblem problem;
  problem.message = status.message();
  std::string field = status.field();
  if (field.rfind("registrations[", 0) == 0) {
    size_t close = field.find(']');
    if (close == std::string::npos) return problem;
    index = 0;
    std::from_chars(field.data() + 14, field.data() + close, index);
    field = close + 2 <= field.size() ? field.substr(close + 2) : "";
  }
  if (index >= csv.guest_lines.size()) return problem;
  problem.line = csv.guest_lines[index].front();
  if (field.rfind("guests[", 0) == 0) {
    size_t close = field.find(']');
    if (close == std::string::npos) return problem;
    size_t guest = 0;
    std::from_chars(field.data() + 7, field.data() + close, guest);
    if (guest < csv.guest_lines[index].size()) problem.line = csv.guest_lines[index][guest];
    field = close + 2 <= field.size() ? field.substr(close + 2) : "";
    if (field.rfind("address.", 0) == 0) field = field.substr(8);
    if (field.rfind("reductions", 0) == 0) field = "reductions";
  }
  for (const ColumnInfo& info : kColumns) {
    if (!field.empty() && field == info.field) problem.column = info.name;
  }
  return problem;
}

}  // namespace passwerk::guestcards
