// Application forms: parsing, validation on load, and checking answers.
#include "applications/forms.h"

#include <algorithm>
#include <cctype>
#include <map>

#include "core/utf8.h"
#include "portal/mail_outbox.h"

namespace passwerk::applications {
namespace {

using utf8::DecodeUtf8;
using utf8::IsValidUtf8;

using json = nlohmann::json;

constexpr size_t kMaxSteps = 20;
constexpr size_t kMaxFieldsPerStep = 40;
constexpr size_t kMaxOptions = 60;
constexpr int kMaxTextLength = 5000;
constexpr int kMaxPersons = 20;
constexpr size_t kMaxLabel = 500;
constexpr size_t kMaxHelp = 3000;

struct TypeName {
  FieldType type;
  std::string_view name;
};
constexpr TypeName kTypeNames[] = {
    {FieldType::kText, "text"},       {FieldType::kMultiline, "multiline"}, {FieldType::kEmail, "email"},
    {FieldType::kPostalCode, "postal_code"}, {FieldType::kDate, "date"},   {FieldType::kInteger, "integer"},
    {FieldType::kChoice, "choice"},   {FieldType::kBoolean, "boolean"},     {FieldType::kDocument, "document"},
    {FieldType::kPersons, "persons"},
};

struct PrefillName {
  Prefill prefill;
  std::string_view name;
};
constexpr PrefillName kPrefillNames[] = {
    {Prefill::kGivenName, "given_name"}, {Prefill::kFamilyName, "family_name"}, {Prefill::kBirthDate, "birth_date"},
    {Prefill::kStreet, "street"},        {Prefill::kPostalCode, "postal_code"}, {Prefill::kCity, "city"},
    {Prefill::kEmail, "email"},
};

bool IsIdentifier(std::string_view id) {
  if (id.empty() || id.size() > 60 || !(id[0] >= 'a' && id[0] <= 'z')) return false;
  return std::all_of(id.begin(), id.end(),
                     [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'; });
}

bool IsTextKind(FieldType type) {
  return type == FieldType::kText || type == FieldType::kMultiline || type == FieldType::kEmail ||
         type == FieldType::kPostalCode;
}

// Reads the definition; every error names where it is.
class Reader {
 public:
  Status Error(const std::string& path, const std::string& what) {
    return InvalidArgument("form definition: " + path + ": " + what, path);
  }

  Result<Text> ReadText(const json& parent, const std::string& key, const std::string& path, bool required,
                        size_t max) {
    Text text;
    if (!parent.contains(key)) {
      if (required) return Error(path + "." + key, "missing (an object with \"de\" and \"en\")");
      return text;
    }
    const json& value = parent.at(key);
    if (!value.is_object()) return Error(path + "." + key, "must be an object with \"de\" and \"en\"");
    for (const auto& [lang, item] : value.items()) {
      if (lang != "de" && lang != "en") return Error(path + "." + key + "." + lang, "only \"de\" and \"en\"");
      if (!item.is_string() || item.get<std::string>().empty()) {
        return Error(path + "." + key + "." + lang, "must be a non-empty string");
      }
      const std::string s = item.get<std::string>();
      if (s.size() > max || !IsValidUtf8(s)) return Error(path + "." + key + "." + lang, "too long or not UTF-8");
      (lang == "de" ? text.de : text.en) = s;
    }
    if (text.de.empty()) return Error(path + "." + key + ".de", "the German text is required");
    return text;
  }

  Result<std::optional<int64_t>> ReadInt(const json& parent, const std::string& key, const std::string& path,
                                         int64_t lo, int64_t hi) {
    if (!parent.contains(key)) return std::optional<int64_t>();
    const json& v = parent.at(key);
    if (!v.is_number_integer()) return Error(path + "." + key, "must be an integer");
    int64_t n = v.get<int64_t>();
    if (n < lo || n > hi) {
      return Error(path + "." + key, "must be between " + std::to_string(lo) + " and " + std::to_string(hi));
    }
    return std::optional<int64_t>(n);
  }

  Result<std::string> ReadString(const json& parent, const std::string& key, const std::string& path, bool required) {
    if (!parent.contains(key)) {
      if (required) return Error(path + "." + key, "missing");
      return std::string();
    }
    if (!parent.at(key).is_string()) return Error(path + "." + key, "must be a string");
    return parent.at(key).get<std::string>();
  }

  Result<bool> ReadBool(const json& parent, const std::string& key, const std::string& path, bool fallback) {
    if (!parent.contains(key)) return fallback;
    if (!parent.at(key).is_boolean()) return Error(path + "." + key, "must be true or false");
    return parent.at(key).get<bool>();
  }

  Status OnlyKeys(const json& object, const std::string& path, std::initializer_list<std::string_view> keys) {
    if (!object.is_object()) return Error(path, "must be an object");
    for (const auto& [key, value] : object.items()) {
      if (std::find(keys.begin(), keys.end(), key) == keys.end()) return Error(path + "." + key, "unknown key");
    }
    return Status::Ok();
  }

  Result<std::optional<Condition>> ReadCondition(const json& parent, const std::string& path) {
    if (!parent.contains("when")) return std::optional<Condition>();
    const std::string at = path + ".when";
    PW_RETURN_IF_ERROR(OnlyKeys(parent.at("when"), at, {"field", "values"}));
    Condition condition;
    PW_ASSIGN_OR_RETURN(condition.field, ReadString(parent.at("when"), "field", at, true));
    const json& values = parent.at("when").value("values", json());
    if (!values.is_array() || values.empty()) return Error(at + ".values", "must be a non-empty array of strings");
    for (const json& v : values) {
      if (!v.is_string()) return Error(at + ".values", "must be a non-empty array of strings");
      condition.values.push_back(v.get<std::string>());
    }
    return std::optional<Condition>(condition);
  }

  Result<std::optional<DateBound>> ReadDateBound(const json& parent, const std::string& key, const std::string& path) {
    PW_ASSIGN_OR_RETURN(std::string text, ReadString(parent, key, path, false));
    if (text.empty()) return std::optional<DateBound>();
    bool ok = text == "today" || ParseIsoDate(text).has_value();
    if (!ok && text.size() >= 3 && (text[0] == '+' || text[0] == '-') &&
        (text.back() == 'd' || text.back() == 'm' || text.back() == 'y')) {
      std::string digits = text.substr(1, text.size() - 2);
      ok = !digits.empty() && digits.size() <= 5 &&
           std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; });
    }
    if (!ok) return Error(path + "." + key, "must be \"today\", an offset like \"-2y\" or \"+30d\", or YYYY-MM-DD");
    return std::optional<DateBound>(DateBound{text});
  }

  Result<Field> ReadField(const json& j, const std::string& path) {
    PW_RETURN_IF_ERROR(OnlyKeys(j, path,
                                {"id", "type", "label", "help", "required", "min_length", "max_length", "min", "max",
                                 "min_date", "max_date", "options", "when", "prefill", "keep_on_renewal",
                                 "max_items"}));
    Field f;
    PW_ASSIGN_OR_RETURN(f.id, ReadString(j, "id", path, true));
    if (!IsIdentifier(f.id)) return Error(path + ".id", "must match [a-z][a-z0-9_]* (at most 60)");
    PW_ASSIGN_OR_RETURN(std::string type, ReadString(j, "type", path, true));
    auto parsed = ParseFieldType(type);
    if (!parsed) return Error(path + ".type", "unknown field type \"" + type + "\"");
    f.type = *parsed;
    PW_ASSIGN_OR_RETURN(f.label, ReadText(j, "label", path, true, kMaxLabel));
    PW_ASSIGN_OR_RETURN(f.help, ReadText(j, "help", path, false, kMaxHelp));
    PW_ASSIGN_OR_RETURN(f.required, ReadBool(j, "required", path, false));
    PW_ASSIGN_OR_RETURN(f.keep_on_renewal, ReadBool(j, "keep_on_renewal", path, false));
    PW_ASSIGN_OR_RETURN(auto min_length, ReadInt(j, "min_length", path, 0, kMaxTextLength));
    PW_ASSIGN_OR_RETURN(auto max_length, ReadInt(j, "max_length", path, 1, kMaxTextLength));
    if ((min_length || max_length) && !IsTextKind(f.type)) {
      return Error(path, "min_length and max_length are for text fields");
    }
    if (f.type == FieldType::kMultiline) f.max_length = 2000;
    if (f.type == FieldType::kEmail) f.max_length = 254;
    if (min_length) f.min_length = static_cast<int>(*min_length);
    if (max_length) f.max_length = static_cast<int>(*max_length);
    if (f.min_length > f.max_length) return Error(path + ".min_length", "is larger than max_length");
    PW_ASSIGN_OR_RETURN(f.min, ReadInt(j, "min", path, -1'000'000'000, 1'000'000'000));
    PW_ASSIGN_OR_RETURN(f.max, ReadInt(j, "max", path, -1'000'000'000, 1'000'000'000));
    if ((f.min || f.max) && f.type != FieldType::kInteger) return Error(path, "min and max are for integer fields");
    if (f.min && f.max && *f.min > *f.max) return Error(path + ".min", "is larger than max");
    PW_ASSIGN_OR_RETURN(f.min_date, ReadDateBound(j, "min_date", path));
    PW_ASSIGN_OR_RETURN(f.max_date, ReadDateBound(j, "max_date", path));
    if ((f.min_date || f.max_date) && f.type != FieldType::kDate) {
      return Error(path, "min_date and max_date are for date fields");
    }
    PW_ASSIGN_OR_RETURN(auto max_items, ReadInt(j, "max_items", path, 1, kMaxPersons));
    if (max_items && f.type != FieldType::kPersons) return Error(path + ".max_items", "is for persons fields");
    if (max_items) f.max_items = static_cast<int>(*max_items);
    if (j.contains("options")) {
      if (f.type != FieldType::kChoice) return Error(path + ".options", "are for choice fields");
      const json& options = j.at("options");
      if (!options.is_array() || options.empty() || options.size() > kMaxOptions) {
        return Error(path + ".options", "must be an array of 1 to " + std::to_string(kMaxOptions) + " options");
      }
      for (size_t i = 0; i < options.size(); ++i) {
        const std::string at = path + ".options[" + std::to_string(i) + "]";
        PW_RETURN_IF_ERROR(OnlyKeys(options[i], at, {"value", "label"}));
        Option option;
        PW_ASSIGN_OR_RETURN(option.value, ReadString(options[i], "value", at, true));
        if (!IsIdentifier(option.value)) return Error(at + ".value", "must match [a-z][a-z0-9_]*");
        for (const Option& o : f.options) {
          if (o.value == option.value) return Error(at + ".value", "repeats \"" + option.value + "\"");
        }
        PW_ASSIGN_OR_RETURN(option.label, ReadText(options[i], "label", at, true, kMaxLabel));
        f.options.push_back(std::move(option));
      }
    } else if (f.type == FieldType::kChoice) {
      return Error(path + ".options", "a choice field needs options");
    }
    PW_ASSIGN_OR_RETURN(f.when, ReadCondition(j, path));
    PW_ASSIGN_OR_RETURN(std::string prefill, ReadString(j, "prefill", path, false));
    if (!prefill.empty()) {
      auto it = std::find_if(std::begin(kPrefillNames), std::end(kPrefillNames),
                             [&](const PrefillName& p) { return p.name == prefill; });
      if (it == std::end(kPrefillNames)) return Error(path + ".prefill", "unknown \"" + prefill + "\"");
      f.prefill = it->prefill;
    }
    return f;
  }
};

const Field* FindIn(const FormDefinition& form, std::string_view id) {
  for (const Step& step : form.steps) {
    for (const Field& field : step.fields) {
      if (field.id == id) return &field;
    }
  }
  return nullptr;
}

// The answer as a condition compares it: strings as they are, booleans as "true"/"false".
std::optional<std::string> ConditionValue(const json& answers, const std::string& field) {
  if (!answers.is_object() || !answers.contains(field)) return std::nullopt;
  const json& v = answers.at(field);
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  return std::nullopt;
}

bool Holds(const FormDefinition& form, const std::optional<Condition>& condition, const json& answers, int depth = 0) {
  if (!condition) return true;
  if (depth > 20) return false;
  const Field* field = FindIn(form, condition->field);
  if (field != nullptr && field->when && !Holds(form, field->when, answers, depth + 1)) return false;
  auto value = ConditionValue(answers, condition->field);
  return value && std::find(condition->values.begin(), condition->values.end(), *value) != condition->values.end();
}

// A text answer: valid UTF-8 without control characters (newlines and tabs
// only in a paragraph), trimmed; its length in code points.
std::optional<std::string> CleanTextAnswer(std::string_view text, bool multiline, size_t& length) {
  if (!IsValidUtf8(text)) return std::nullopt;
  std::string out;
  length = 0;
  for (size_t i = 0; i < text.size();) {
    char32_t cp = 0;
    size_t n = DecodeUtf8(text, i, cp);
    if (n == 0) return std::nullopt;
    if (cp == '\r') {
      i += n;
      continue;
    }
    bool control = cp < 0x20 || (cp >= 0x7f && cp < 0xa0) || cp == 0x2028 || cp == 0x2029 ||
                   (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
    if (control && !(multiline && (cp == '\n' || cp == '\t'))) {
      if (cp == '\t') {
        out.push_back(' ');
        ++length;
        i += n;
        continue;
      }
      return std::nullopt;
    }
    out.append(text.substr(i, n));
    ++length;
    i += n;
  }
  size_t begin = out.find_first_not_of(" \n\t");
  if (begin == std::string::npos) {
    length = 0;
    return std::string();
  }
  size_t end = out.find_last_not_of(" \n\t");
  size_t trimmed = begin + (out.size() - 1 - end);
  length -= trimmed;  // the trimmed characters are all one byte
  return out.substr(begin, end - begin + 1);
}

// What the mail outbox will send to (the organisation's request): an address
// the form accepted must not make the submission fail later.
bool IsEmail(std::string_view text) { return portal::CheckEmailAddress(text).ok(); }

std::string DateText(const Date& d) { return FormatIsoDate(d); }

class Checker {
 public:
  Checker(const FormDefinition& form, const Date& today, std::vector<FieldError>& errors)
      : form_(form), today_(today), errors_(errors) {}

  void Add(std::string field, std::string code, std::string message) {
    errors_.push_back({std::move(field), std::move(code), std::move(message)});
  }

  // Checks one value; `name` is where the error is reported.
  void Value(const Field& f, const std::string& name, const json& v) {
    switch (f.type) {
      case FieldType::kText:
      case FieldType::kMultiline:
      case FieldType::kEmail:
      case FieldType::kPostalCode: {
        if (!v.is_string()) return Add(name, "invalid", "must be a string");
        size_t length = 0;
        auto text = CleanTextAnswer(v.get_ref<const std::string&>(), f.type == FieldType::kMultiline, length);
        if (!text) return Add(name, "invalid", "contains characters that are not allowed");
        if (text->empty()) return;  // empty is "not answered"
        if (length > static_cast<size_t>(f.max_length)) {
          return Add(name, "too_long", "at most " + std::to_string(f.max_length) + " characters");
        }
        if (length < static_cast<size_t>(f.min_length)) {
          return Add(name, "too_short", "at least " + std::to_string(f.min_length) + " characters");
        }
        if (f.type == FieldType::kEmail && !IsEmail(*text)) return Add(name, "invalid", "is not an e-mail address");
        if (f.type == FieldType::kPostalCode &&
            (text->size() != 5 || !std::all_of(text->begin(), text->end(), [](char c) { return c >= '0' && c <= '9'; }))) {
          return Add(name, "invalid", "must be five digits");
        }
        return;
      }
      case FieldType::kDate: {
        if (!v.is_string()) return Add(name, "invalid", "must be a date YYYY-MM-DD");
        if (v.get_ref<const std::string&>().empty()) return;
        auto date = ParseIsoDate(v.get_ref<const std::string&>());
        if (!date) return Add(name, "invalid", "must be a date YYYY-MM-DD");
        if (f.min_date && *date < f.min_date->Resolve(today_)) {
          return Add(name, "too_early", "must not be before " + DateText(f.min_date->Resolve(today_)));
        }
        if (f.max_date && *date > f.max_date->Resolve(today_)) {
          return Add(name, "too_late", "must not be after " + DateText(f.max_date->Resolve(today_)));
        }
        return;
      }
      case FieldType::kInteger: {
        if (!v.is_number_integer()) return Add(name, "invalid", "must be a whole number");
        int64_t n = v.get<int64_t>();
        if (f.min && n < *f.min) return Add(name, "too_small", "must be at least " + std::to_string(*f.min));
        if (f.max && n > *f.max) return Add(name, "too_large", "must be at most " + std::to_string(*f.max));
        return;
      }
      case FieldType::kChoice: {
        if (!v.is_string()) return Add(name, "invalid", "must be one of the options");
        const std::string& s = v.get_ref<const std::string&>();
        if (s.empty()) return;
        bool known = std::any_of(f.options.begin(), f.options.end(), [&](const Option& o) { return o.value == s; });
        if (!known) return Add(name, "not_an_option", "must be one of the options");
        return;
      }
      case FieldType::kBoolean:
        if (!v.is_boolean()) return Add(name, "invalid", "must be true or false");
        return;
      case FieldType::kDocument:
        return Add(name, "invalid", "documents are uploaded, not answered");
      case FieldType::kPersons: {
        if (!v.is_array()) return Add(name, "invalid", "must be a list of persons");
        if (v.size() > static_cast<size_t>(f.max_items)) {
          return Add(name, "too_large", "at most " + std::to_string(f.max_items) + " persons");
        }
        Field part;
        part.max_length = 100;
        for (size_t i = 0; i < v.size(); ++i) {
          const std::string at = name + "[" + std::to_string(i) + "]";
          if (!v[i].is_object()) {
            Add(at, "invalid", "must be an object with given_name, family_name, birth_date");
            continue;
          }
          for (const auto& [key, value] : v[i].items()) {
            if (key != "given_name" && key != "family_name" && key != "birth_date") {
              Add(at + "." + key, "invalid", "unknown");
            }
          }
          for (const char* key : {"given_name", "family_name", "birth_date"}) {
            const std::string where = at + "." + key;
            if (!v[i].contains(key) || (v[i].at(key).is_string() && v[i].at(key).get<std::string>().empty())) {
              if (complete_) Add(where, "required", "is required");
              continue;
            }
            part.type = std::string_view(key) == "birth_date" ? FieldType::kDate : FieldType::kText;
            part.min_date.reset();
            part.max_date.reset();
            if (part.type == FieldType::kDate) {
              part.min_date = DateBound{"-130y"};
              part.max_date = DateBound{"today"};
            }
            Value(part, where, v[i].at(key));
          }
        }
        return;
      }
    }
  }

  bool complete_ = false;

 private:
  const FormDefinition& form_;
  const Date& today_;
  std::vector<FieldError>& errors_;
};

bool Answered(const json& answers, const std::string& id) {
  if (!answers.is_object() || !answers.contains(id)) return false;
  const json& v = answers.at(id);
  if (v.is_null()) return false;
  if (v.is_string()) {
    size_t length = 0;
    auto text = CleanTextAnswer(v.get_ref<const std::string&>(), true, length);
    return text && !text->empty();
  }
  if (v.is_boolean()) return v.get<bool>();
  if (v.is_array()) return !v.empty();
  return true;
}

}  // namespace

std::string_view FieldTypeName(FieldType type) {
  for (const TypeName& t : kTypeNames) {
    if (t.type == type) return t.name;
  }
  return "text";
}

std::optional<FieldType> ParseFieldType(std::string_view name) {
  for (const TypeName& t : kTypeNames) {
    if (t.name == name) return t.type;
  }
  return std::nullopt;
}

Date DateBound::Resolve(const Date& today) const {
  if (text == "today") return today;
  if (auto date = ParseIsoDate(text)) return *date;
  if (text.size() < 3) return today;
  const int64_t n = std::stoll(text.substr(1, text.size() - 2)) * (text[0] == '-' ? -1 : 1);
  switch (text.back()) {
    case 'd':
      return AddDays(today, n);
    case 'm':
      return AddMonths(today, static_cast<int>(n));
    default:
      return AddMonths(today, static_cast<int>(n * 12));
  }
}

const Field* FormDefinition::FindField(std::string_view id) const { return FindIn(*this, id); }

std::vector<const Field*> FormDefinition::Fields() const {
  std::vector<const Field*> out;
  for (const Step& step : steps) {
    for (const Field& field : step.fields) out.push_back(&field);
  }
  return out;
}

Result<FormDefinition> ParseForm(std::string_view json_text) {
  if (json_text.size() > 1024 * 1024) return InvalidArgument("form definition: larger than 1 MiB");
  json doc = json::parse(json_text, nullptr, false);
  if (doc.is_discarded()) return InvalidArgument("form definition: not valid JSON");
  Reader r;
  PW_RETURN_IF_ERROR(r.OnlyKeys(doc, "$",
                                {"format", "scheme", "kind", "title", "intro", "reference_prefix", "assurance",
                                 "four_eyes", "renewal_reminder_days", "valid_until_field", "household_field",
                                 "organisation", "retention", "steps", "checks"}));
  FormDefinition form;
  PW_ASSIGN_OR_RETURN(std::string format, r.ReadString(doc, "format", "$", true));
  if (format != kFormFormat) return r.Error("$.format", "must be \"" + std::string(kFormFormat) + "\"");
  PW_ASSIGN_OR_RETURN(form.scheme, r.ReadString(doc, "scheme", "$", true));
  if (form.scheme.empty() || form.scheme.size() > 64) return r.Error("$.scheme", "must be a scheme's slug");
  PW_ASSIGN_OR_RETURN(std::string kind, r.ReadString(doc, "kind", "$", true));
  auto parsed_kind = cards::ParseSchemeKind(kind);
  if (!parsed_kind || *parsed_kind == cards::SchemeKind::kGuestCard) {
    return r.Error("$.kind", "must be \"social_pass\" or \"volunteer_card\"");
  }
  form.kind = *parsed_kind;
  PW_ASSIGN_OR_RETURN(form.title, r.ReadText(doc, "title", "$", true, kMaxLabel));
  PW_ASSIGN_OR_RETURN(form.intro, r.ReadText(doc, "intro", "$", false, kMaxHelp));
  PW_ASSIGN_OR_RETURN(std::string prefix, r.ReadString(doc, "reference_prefix", "$", false));
  if (!prefix.empty()) {
    if (prefix.size() > 4 || !std::all_of(prefix.begin(), prefix.end(), [](char c) { return c >= 'A' && c <= 'Z'; })) {
      return r.Error("$.reference_prefix", "must be 1 to 4 capital letters");
    }
    form.reference_prefix = prefix;
  }
  PW_ASSIGN_OR_RETURN(std::string assurance, r.ReadString(doc, "assurance", "$", true));
  auto level = accounts::ParseAssurance(assurance);
  if (!level) return r.Error("$.assurance", "must be \"low\", \"substantial\" or \"high\"");
  form.assurance = *level;
  PW_ASSIGN_OR_RETURN(form.four_eyes, r.ReadBool(doc, "four_eyes", "$", false));
  PW_ASSIGN_OR_RETURN(auto reminder, r.ReadInt(doc, "renewal_reminder_days", "$", 0, 365));
  if (reminder) form.renewal_reminder_days = static_cast<int>(*reminder);
  if (doc.contains("retention")) {
    const json& ret = doc.at("retention");
    PW_RETURN_IF_ERROR(r.OnlyKeys(ret, "$.retention",
                                  {"documents_after_decision_days", "after_rejection_days", "after_withdrawal_days",
                                   "after_card_expiry_days", "drafts_days"}));
    auto read_days = [&](const char* key, int& into, int64_t lo) -> Status {
      PW_ASSIGN_OR_RETURN(auto days, r.ReadInt(ret, key, "$.retention", lo, 3650));
      if (days) into = static_cast<int>(*days);
      return Status::Ok();
    };
    PW_RETURN_IF_ERROR(read_days("documents_after_decision_days", form.retention.documents_after_decision_days, 0));
    PW_RETURN_IF_ERROR(read_days("after_rejection_days", form.retention.after_rejection_days, 0));
    PW_RETURN_IF_ERROR(read_days("after_withdrawal_days", form.retention.after_withdrawal_days, 0));
    PW_RETURN_IF_ERROR(read_days("after_card_expiry_days", form.retention.after_card_expiry_days, 0));
    PW_RETURN_IF_ERROR(read_days("drafts_days", form.retention.drafts_days, 1));
  }
  const json steps = doc.value("steps", json());
  if (!steps.is_array() || steps.empty() || steps.size() > kMaxSteps) {
    return r.Error("$.steps", "must be an array of 1 to " + std::to_string(kMaxSteps) + " steps");
  }
  std::map<std::string, FieldType> seen;  // for conditions: only earlier fields
  for (size_t s = 0; s < steps.size(); ++s) {
    const std::string path = "$.steps[" + std::to_string(s) + "]";
    PW_RETURN_IF_ERROR(r.OnlyKeys(steps[s], path, {"id", "title", "help", "fields"}));
    Step step;
    PW_ASSIGN_OR_RETURN(step.id, r.ReadString(steps[s], "id", path, true));
    if (!IsIdentifier(step.id)) return r.Error(path + ".id", "must match [a-z][a-z0-9_]*");
    for (const Step& other : form.steps) {
      if (other.id == step.id) return r.Error(path + ".id", "repeats \"" + step.id + "\"");
    }
    PW_ASSIGN_OR_RETURN(step.title, r.ReadText(steps[s], "title", path, true, kMaxLabel));
    PW_ASSIGN_OR_RETURN(step.help, r.ReadText(steps[s], "help", path, false, kMaxHelp));
    const json fields = steps[s].value("fields", json());
    if (!fields.is_array() || fields.empty() || fields.size() > kMaxFieldsPerStep) {
      return r.Error(path + ".fields", "must be an array of 1 to " + std::to_string(kMaxFieldsPerStep) + " fields");
    }
    form.steps.push_back(std::move(step));
    for (size_t i = 0; i < fields.size(); ++i) {
      const std::string at = path + ".fields[" + std::to_string(i) + "]";
      PW_ASSIGN_OR_RETURN(Field field, r.ReadField(fields[i], at));
      if (seen.contains(field.id)) return r.Error(at + ".id", "repeats \"" + field.id + "\"");
      if (field.when) {
        auto it = seen.find(field.when->field);
        if (it == seen.end() || (it->second != FieldType::kChoice && it->second != FieldType::kBoolean)) {
          return r.Error(at + ".when.field", "must name an earlier choice or yes/no field");
        }
      }
      seen[field.id] = field.type;
      form.steps.back().fields.push_back(std::move(field));
    }
  }
  auto field_of = [&](const std::string& id) { return form.FindField(id); };
  for (const char* holder : kHolderFields) {
    const Field* f = field_of(holder);
    FieldType expected = std::string_view(holder) == "birth_date"    ? FieldType::kDate
                         : std::string_view(holder) == "postal_code" ? FieldType::kPostalCode
                                                                     : FieldType::kText;
    if (f == nullptr || f->type != expected || !f->required || f->when) {
      return r.Error("$.steps", std::string("a card form needs the required, unconditional ") +
                                    std::string(FieldTypeName(expected)) + " field \"" + holder + "\"");
    }
  }
  PW_ASSIGN_OR_RETURN(form.valid_until_field, r.ReadString(doc, "valid_until_field", "$", false));
  if (!form.valid_until_field.empty()) {
    const Field* f = field_of(form.valid_until_field);
    if (f == nullptr || f->type != FieldType::kDate || !f->required || f->when) {
      return r.Error("$.valid_until_field", "must name a required, unconditional date field");
    }
  }
  PW_ASSIGN_OR_RETURN(form.household_field, r.ReadString(doc, "household_field", "$", false));
  if (!form.household_field.empty()) {
    const Field* f = field_of(form.household_field);
    if (f == nullptr || f->type != FieldType::kPersons) return r.Error("$.household_field", "must name a persons field");
  }
  if (doc.contains("organisation")) {
    const json& o = doc.at("organisation");
    const std::string path = "$.organisation";
    PW_RETURN_IF_ERROR(r.OnlyKeys(
        o, path, {"when", "name_field", "contact_field", "email_field", "shows", "valid_days", "max_resends"}));
    OrganisationStep org;
    PW_ASSIGN_OR_RETURN(org.when, r.ReadCondition(o, path));
    if (org.when) {
      const Field* f = field_of(org.when->field);
      if (f == nullptr || (f->type != FieldType::kChoice && f->type != FieldType::kBoolean)) {
        return r.Error(path + ".when.field", "must name a choice or yes/no field");
      }
    }
    PW_ASSIGN_OR_RETURN(org.name_field, r.ReadString(o, "name_field", path, true));
    PW_ASSIGN_OR_RETURN(org.contact_field, r.ReadString(o, "contact_field", path, true));
    PW_ASSIGN_OR_RETURN(org.email_field, r.ReadString(o, "email_field", path, true));
    for (const std::string* id : {&org.name_field, &org.contact_field, &org.email_field}) {
      const Field* f = field_of(*id);
      if (f == nullptr || !f->required) return r.Error(path, "\"" + *id + "\" must name a required field");
    }
    if (field_of(org.email_field)->type != FieldType::kEmail) {
      return r.Error(path + ".email_field", "must name an e-mail field");
    }
    const json shows = o.value("shows", json());
    if (!shows.is_array() || shows.empty()) return r.Error(path + ".shows", "must list the answers to confirm");
    for (const json& id : shows) {
      if (!id.is_string() || field_of(id.get<std::string>()) == nullptr ||
          field_of(id.get<std::string>())->type == FieldType::kDocument) {
        return r.Error(path + ".shows", "must name answer fields of the form");
      }
      org.shows.push_back(id.get<std::string>());
    }
    PW_ASSIGN_OR_RETURN(auto valid_days, r.ReadInt(o, "valid_days", path, 1, 90));
    if (valid_days) org.valid_days = static_cast<int>(*valid_days);
    PW_ASSIGN_OR_RETURN(auto resends, r.ReadInt(o, "max_resends", path, 0, 10));
    if (resends) org.max_resends = static_cast<int>(*resends);
    form.organisation = std::move(org);
  }
  if (doc.contains("checks")) {
    const json& checks = doc.at("checks");
    if (!checks.is_array() || checks.size() > 20) return r.Error("$.checks", "must be an array of at most 20 checks");
    for (size_t i = 0; i < checks.size(); ++i) {
      const std::string path = "$.checks[" + std::to_string(i) + "]";
      PW_RETURN_IF_ERROR(r.OnlyKeys(checks[i], path, {"any", "when", "field", "message"}));
      Check check;
      const json any = checks[i].value("any", json());
      if (!any.is_array() || any.empty()) return r.Error(path + ".any", "must list at least one minimum");
      for (size_t k = 0; k < any.size(); ++k) {
        const std::string at = path + ".any[" + std::to_string(k) + "]";
        PW_RETURN_IF_ERROR(r.OnlyKeys(any[k], at, {"field", "min"}));
        Check::Minimum minimum;
        PW_ASSIGN_OR_RETURN(minimum.field, r.ReadString(any[k], "field", at, true));
        const Field* f = field_of(minimum.field);
        if (f == nullptr || f->type != FieldType::kInteger) return r.Error(at + ".field", "must name an integer field");
        PW_ASSIGN_OR_RETURN(auto min, r.ReadInt(any[k], "min", at, -1'000'000'000, 1'000'000'000));
        if (!min) return r.Error(at + ".min", "missing");
        minimum.min = *min;
        check.any.push_back(minimum);
      }
      PW_ASSIGN_OR_RETURN(check.when, r.ReadCondition(checks[i], path));
      if (check.when && field_of(check.when->field) == nullptr) {
        return r.Error(path + ".when.field", "must name a field of the form");
      }
      PW_ASSIGN_OR_RETURN(check.field, r.ReadString(checks[i], "field", path, true));
      if (field_of(check.field) == nullptr) return r.Error(path + ".field", "must name a field of the form");
      PW_ASSIGN_OR_RETURN(check.message, r.ReadText(checks[i], "message", path, true, kMaxLabel));
      form.checks.push_back(std::move(check));
    }
  }
  return form;
}

json FormJson(const FormDefinition& form) {
  auto text = [](const Text& t) {
    json j = {{"de", t.de}};
    if (!t.en.empty()) j["en"] = t.en;
    return j;
  };
  auto condition = [](const Condition& c) { return json{{"field", c.field}, {"values", c.values}}; };
  json steps = json::array();
  for (const Step& s : form.steps) {
    json fields = json::array();
    for (const Field& f : s.fields) {
      json j = {{"id", f.id}, {"type", FieldTypeName(f.type)}, {"label", text(f.label)}, {"required", f.required}};
      if (!f.help.de.empty()) j["help"] = text(f.help);
      if (IsTextKind(f.type)) {
        j["max_length"] = f.max_length;
        if (f.min_length > 0) j["min_length"] = f.min_length;
      }
      if (f.min) j["min"] = *f.min;
      if (f.max) j["max"] = *f.max;
      if (f.min_date) j["min_date"] = f.min_date->text;
      if (f.max_date) j["max_date"] = f.max_date->text;
      if (f.type == FieldType::kPersons) j["max_items"] = f.max_items;
      if (!f.options.empty()) {
        j["options"] = json::array();
        for (const Option& o : f.options) j["options"].push_back({{"value", o.value}, {"label", text(o.label)}});
      }
      if (f.when) j["when"] = condition(*f.when);
      for (const PrefillName& p : kPrefillNames) {
        if (p.prefill == f.prefill) j["prefill"] = p.name;
      }
      if (f.keep_on_renewal) j["keep_on_renewal"] = true;
      fields.push_back(std::move(j));
    }
    json step = {{"id", s.id}, {"title", text(s.title)}, {"fields", fields}};
    if (!s.help.de.empty()) step["help"] = text(s.help);
    steps.push_back(std::move(step));
  }
  json out = {{"format", kFormFormat},
              {"scheme", form.scheme},
              {"kind", cards::SchemeKindName(form.kind)},
              {"title", text(form.title)},
              {"reference_prefix", form.reference_prefix},
              {"assurance", accounts::AssuranceName(form.assurance)},
              {"four_eyes", form.four_eyes},
              {"renewal_reminder_days", form.renewal_reminder_days},
              {"retention",
               {{"documents_after_decision_days", form.retention.documents_after_decision_days},
                {"after_rejection_days", form.retention.after_rejection_days},
                {"after_withdrawal_days", form.retention.after_withdrawal_days},
                {"after_card_expiry_days", form.retention.after_card_expiry_days},
                {"drafts_days", form.retention.drafts_days}}},
              {"steps", steps}};
  if (!form.intro.de.empty()) out["intro"] = text(form.intro);
  if (!form.valid_until_field.empty()) out["valid_until_field"] = form.valid_until_field;
  if (!form.household_field.empty()) out["household_field"] = form.household_field;
  if (form.organisation) {
    const OrganisationStep& o = *form.organisation;
    json org = {{"name_field", o.name_field}, {"contact_field", o.contact_field}, {"email_field", o.email_field},
                {"shows", o.shows},           {"valid_days", o.valid_days},       {"max_resends", o.max_resends}};
    if (o.when) org["when"] = condition(*o.when);
    out["organisation"] = std::move(org);
  }
  if (!form.checks.empty()) {
    out["checks"] = json::array();
    for (const Check& c : form.checks) {
      json any = json::array();
      for (const Check::Minimum& m : c.any) any.push_back({{"field", m.field}, {"min", m.min}});
      json j = {{"any", any}, {"field", c.field}, {"message", text(c.message)}};
      if (c.when) j["when"] = condition(*c.when);
      out["checks"].push_back(std::move(j));
    }
  }
  return out;
}

bool Visible(const FormDefinition& form, const Field& field, const json& answers) {
  return Holds(form, field.when, answers);
}

std::vector<FieldError> ValidateAnswers(const FormDefinition& form, const json& answers,
                                        const std::set<std::string>& documents, const Date& today, bool complete) {
  std::vector<FieldError> errors;
  Checker checker(form, today, errors);
  checker.complete_ = complete;
  if (!answers.is_object()) {
    checker.Add("answers", "invalid", "must be an object of field ids and values");
    return errors;
  }
  for (const auto& [key, value] : answers.items()) {
    const Field* f = form.FindField(key);
    if (f == nullptr) {
      checker.Add(key, "invalid", "is not a field of this form");
    } else if (f->type == FieldType::kDocument) {
      checker.Add(key, "invalid", "documents are uploaded, not answered");
    }
  }
  for (const Field* f : form.Fields()) {
    if (!Visible(form, *f, answers)) continue;
    if (f->type == FieldType::kDocument) {
      if (complete && f->required && !documents.contains(f->id)) checker.Add(f->id, "required", "upload the document");
      continue;
    }
    if (answers.contains(f->id) && !answers.at(f->id).is_null()) checker.Value(*f, f->id, answers.at(f->id));
    if (complete && f->required && !Answered(answers, f->id)) {
      bool reported = std::any_of(errors.begin(), errors.end(), [&](const FieldError& e) { return e.field == f->id; });
      if (!reported) checker.Add(f->id, "required", f->type == FieldType::kBoolean ? "must be confirmed" : "is required");
    }
  }
  if (complete) {
    for (const Check& check : form.checks) {
      if (!Holds(form, check.when, answers)) continue;
      bool met = std::any_of(check.any.begin(), check.any.end(), [&](const Check::Minimum& m) {
        return answers.contains(m.field) && answers.at(m.field).is_number_integer() &&
               answers.at(m.field).get<int64_t>() >= m.min;
      });
      bool reported = std::any_of(errors.begin(), errors.end(), [&](const FieldError& e) { return e.field == check.field; });
      if (!met && !reported) checker.Add(check.field, "check", check.message.en.empty() ? check.message.de : check.message.en);
    }
  }
  return errors;
}

json CleanAnswers(const FormDefinition& form, const json& answers) {
  json out = json::object();
  if (!answers.is_object()) return out;
  for (const Field* f : form.Fields()) {
    if (f->type == FieldType::kDocument || !answers.contains(f->id) || !Visible(form, *f, answers)) continue;
    const json& v = answers.at(f->id);
    if (v.is_null()) continue;
    if (v.is_string()) {
      size_t length = 0;
      auto text = CleanTextAnswer(v.get_ref<const std::string&>(), f->type == FieldType::kMultiline, length);
      if (text && !text->empty()) out[f->id] = *text;
    } else if (f->type == FieldType::kPersons && v.is_array()) {
      json persons = json::array();
      for (const json& p : v) {
        if (!p.is_object()) continue;
        json person = json::object();
        for (const char* key : {"given_name", "family_name", "birth_date"}) {
          size_t length = 0;
          if (p.contains(key) && p.at(key).is_string()) {
            auto text = CleanTextAnswer(p.at(key).get_ref<const std::string&>(), false, length);
            person[key] = text ? *text : "";
          }
        }
        persons.push_back(std::move(person));
      }
      out[f->id] = std::move(persons);
    } else {
      out[f->id] = v;
    }
  }
  return out;
}

std::vector<cards::Holder> Holders(const FormDefinition& form, const json& answers) {
  auto get = [&](const json& from, const char* key) {
    return from.contains(key) && from.at(key).is_string() ? from.at(key).get<std::string>() : std::string();
  };
  cards::Holder main{get(answers, "family_name"), get(answers, "given_name"), get(answers, "birth_date"),
                     get(answers, "street"),      get(answers, "postal_code"), get(answers, "city")};
  std::vector<cards::Holder> holders = {main};
  if (!form.household_field.empty() && answers.contains(form.household_field) &&
      answers.at(form.household_field).is_array()) {
    for (const json& p : answers.at(form.household_field)) {
      if (!p.is_object()) continue;
      cards::Holder member = main;
      member.family_name = get(p, "family_name");
      member.given_name = get(p, "given_name");
      member.birth_date = get(p, "birth_date");
      holders.push_back(std::move(member));
    }
  }
  return holders;
}

}  // namespace passwerk::applications
