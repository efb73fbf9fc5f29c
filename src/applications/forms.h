// Application forms as data (docs/applications.md): one JSON document per
// card scheme, loaded per municipality like a tariff, validated on load. It
// sets the steps, the fields with their types and rules, conditional
// questions, the evidence documents, the level of assurance, the
// organisation's confirmation, how the card's validity is found, and the
// retention periods. web/static/forms/ holds the two shipped examples.
//
// Answers are a JSON object, field id → value: text, e-mail, postal code,
// date (ISO) and choice as strings, integers as numbers, yes/no as booleans,
// household members as an array of {given_name, family_name, birth_date}.
// Documents are not answers: they are uploaded to the application, each
// tagged with the id of its document field.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "accounts/citizen_policy.h"
#include "cards/cards.h"
#include "core/dates.h"
#include "core/status.h"

namespace passwerk::applications {

inline constexpr std::string_view kFormFormat = "passwerk-application-form/1";

// A text in both languages of the portal.
struct Text {
  std::string de;
  std::string en;
  const std::string& In(std::string_view lang) const { return lang == "en" && !en.empty() ? en : de; }
};

enum class FieldType {
  kText,        // one line
  kMultiline,   // a paragraph
  kEmail,       //
  kPostalCode,  // five digits
  kDate,        // YYYY-MM-DD
  kInteger,     //
  kChoice,      // one of `options`
  kBoolean,     // a tick box; `required` means it must be ticked
  kDocument,    // evidence, uploaded to the application
  kPersons,     // household members: given_name, family_name, birth_date each
};
std::string_view FieldTypeName(FieldType type);  // "text", "multiline", "email", …
std::optional<FieldType> ParseFieldType(std::string_view name);

// Shown (and so asked and checked) only when `field`'s answer is one of `values`.
struct Condition {
  std::string field;
  std::vector<std::string> values;  // booleans as "true"/"false"
};

struct Option {
  std::string value;
  Text label;
};

// A date bound: "today", an offset from today ("-2y", "+30d", "-120y"), or an ISO date.
struct DateBound {
  std::string text;
  Date Resolve(const Date& today) const;
};

// What the sign-in may prefill.
enum class Prefill { kNone, kGivenName, kFamilyName, kBirthDate, kStreet, kPostalCode, kCity, kEmail };

struct Field {
  std::string id;  // [a-z][a-z0-9_]*
  FieldType type = FieldType::kText;
  Text label;
  Text help;
  bool required = false;
  int min_length = 0;
  int max_length = 200;  // code points, text kinds
  std::optional<int64_t> min;
  std::optional<int64_t> max;
  std::optional<DateBound> min_date;
  std::optional<DateBound> max_date;
  std::vector<Option> options;
  std::optional<Condition> when;
  Prefill prefill = Prefill::kNone;
  // A renewal keeps this answer (shows it in the summary) instead of asking again.
  bool keep_on_renewal = false;
  int max_items = 8;  // persons
};

struct Step {
  std::string id;
  Text title;
  Text help;
  std::vector<Field> fields;
};

// A rule over several fields: when `when` holds (or always), at least one of
// `any` must reach its minimum; otherwise `message` is reported at `field`.
struct Check {
  struct Minimum {
    std::string field;
    int64_t min = 0;
  };
  std::vector<Minimum> any;
  std::optional<Condition> when;
  std::string field;
  Text message;
};

// The organisation that confirms the applicant's engagement (volunteer cards).
struct OrganisationStep {
  std::optional<Condition> when;  // absent: always
  std::string name_field;         // the organisation's name
  std::string contact_field;      // the contact person
  std::string email_field;        // where the request goes
  std::vector<std::string> shows;  // the answers the organisation confirms; nothing else is shown
  int valid_days = 14;
  int max_resends = 3;
};

struct Retention {
  int documents_after_decision_days = 90;
  int after_rejection_days = 180;
  int after_withdrawal_days = 30;
  int after_card_expiry_days = 0;  // an approved application, after its card ran out
  int drafts_days = 90;            // a draft not touched for this long
};

struct FormDefinition {
  std::string scheme;  // the card scheme's slug
  cards::SchemeKind kind = cards::SchemeKind::kSocialPass;
  Text title;
  Text intro;
  std::string reference_prefix = "A";  // the receipt's reference: PREFIX-YYYY-NNNNNN
  accounts::Assurance assurance = accounts::Assurance::kSubstantial;
  bool four_eyes = false;
  int renewal_reminder_days = 90;
  // The card ends no later than this date answer (a benefit notice's end).
  std::string valid_until_field;
  // The household members answer: each gets a card of their own.
  std::string household_field;
  std::optional<OrganisationStep> organisation;
  Retention retention;
  std::vector<Step> steps;
  std::vector<Check> checks;

  const Field* FindField(std::string_view id) const;
  std::vector<const Field*> Fields() const;
};

// Parses and validates a form definition; errors name the JSON path.
Result<FormDefinition> ParseForm(std::string_view json_text);
// The definition as JSON again (the API's GET of a form).
nlohmann::json FormJson(const FormDefinition& form);

// The holder fields every card form must have (the card's holder data).
inline constexpr const char* kHolderFields[] = {"given_name", "family_name", "birth_date",
                                                "street",     "postal_code", "city"};

struct FieldError {
  std::string field;    // the field id; "household_members[1].birth_date" for a person's part
  std::string code;     // required, too_long, too_short, invalid, not_an_option, too_small, too_large,
                        // too_early, too_late, check
  std::string message;  // English, for the API; the UI shows its own text for `code`
};

// Whether the field is asked, given the answers so far.
bool Visible(const FormDefinition& form, const Field& field, const nlohmann::json& answers);

// Checks the answers against the form. Unknown fields and values of the wrong
// JSON type are always errors. With `complete`, required fields (and required
// documents, named in `documents`) and the form's checks apply too; without
// it (a draft) only the answers given are checked. Every problem is listed.
std::vector<FieldError> ValidateAnswers(const FormDefinition& form, const nlohmann::json& answers,
                                        const std::set<std::string>& documents, const Date& today, bool complete);

// The answers that a form keeps: hidden fields dropped, text trimmed.
nlohmann::json CleanAnswers(const FormDefinition& form, const nlohmann::json& answers);

// The holder of the main card and of each household member's card.
std::vector<cards::Holder> Holders(const FormDefinition& form, const nlohmann::json& answers);

}  // namespace passwerk::applications
