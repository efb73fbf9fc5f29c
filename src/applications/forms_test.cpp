// Application forms as data: the two shipped forms (web/static/forms/), the
// checks on load (every error names its JSON path), the checks on answers
// (every problem listed, conditions, the form's own checks, household
// members), cleaning, the holders of the cards, and mutated definitions.
#include "applications/forms.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <random>
#include <sstream>

namespace passwerk::applications {
namespace {

using json = nlohmann::json;

std::string ReadShipped(const std::string& file) {
  std::ifstream in(std::string(PASSWERK_SOURCE_DIR) + "/web/static/forms/" + file);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_FALSE(text.str().empty()) << file;
  return text.str();
}

const std::string& SocialText() {
  static const std::string text = ReadShipped("sozialpass-kellenhusen.json");
  return text;
}
const std::string& VolunteerText() {
  static const std::string text = ReadShipped("ehrenamt-kellenhusen.json");
  return text;
}

FormDefinition Parse(const std::string& text) {
  auto form = ParseForm(text);
  EXPECT_TRUE(form.ok()) << form.status().ToString();
  return form.ok() ? *form : FormDefinition{};
}

Date D(const char* iso) { return *ParseIsoDate(iso); }

const Date kToday = D("2026-06-15");

// The social pass answers of a complete application (the notice is uploaded).
json SocialAnswers() {
  return {{"given_name", "Erika"},
          {"family_name", "Mustermann"},
          {"birth_date", "1980-04-01"},
          {"street", "Strandstraße 1"},
          {"postal_code", "23746"},
          {"city", "Kellenhusen (Ostsee)"},
          {"benefit", "wohngeld"},
          {"notice_authority", "Wohngeldstelle Ostholstein"},
          {"notice_valid_until", "2026-12-31"}};
}

json VolunteerAnswers() {
  return {{"given_name", "Emma"},
          {"family_name", "Engagiert"},
          {"birth_date", "1990-02-03"},
          {"street", "Am Deich 4"},
          {"postal_code", "23746"},
          {"city", "Kellenhusen (Ostsee)"},
          {"basis", "volunteering"},
          {"activity", "Jugendtrainerin im Sportverein"},
          {"since", "2020-01-01"},
          {"hours_per_week", 6},
          {"unpaid", true},
          {"organisation_name", "TSV Kellenhusen"},
          {"organisation_contact", "Otto Vorstand"},
          {"organisation_email", "vorstand@tsv-kellenhusen.example"}};
}

// field → code, for comparing whole error lists.
std::map<std::string, std::string> Codes(const std::vector<FieldError>& errors) {
  std::map<std::string, std::string> out;
  for (const FieldError& e : errors) {
    EXPECT_FALSE(out.contains(e.field)) << "reported twice: " << e.field;
    EXPECT_FALSE(e.message.empty()) << e.field;
    out[e.field] = e.code;
  }
  return out;
}

std::string CodeOf(const std::vector<FieldError>& errors, const std::string& field) {
  for (const FieldError& e : errors) {
    if (e.field == field) return e.code;
  }
  return "";
}

// ------------------------------------------------------------ definitions

TEST(FormDefinitionTest, BothShippedFormsParse) {
  FormDefinition social = Parse(SocialText());
  EXPECT_EQ(social.scheme, "sozialpass-kellenhusen");
  EXPECT_EQ(social.kind, cards::SchemeKind::kSocialPass);
  EXPECT_EQ(social.reference_prefix, "SP");
  EXPECT_EQ(social.assurance, accounts::Assurance::kSubstantial);
  EXPECT_FALSE(social.four_eyes);
  EXPECT_EQ(social.renewal_reminder_days, 30);
  EXPECT_EQ(social.valid_until_field, "notice_valid_until");
  EXPECT_EQ(social.household_field, "household_members");
  EXPECT_FALSE(social.organisation.has_value());
  EXPECT_EQ(social.retention.after_card_expiry_days, 90);
  EXPECT_EQ(social.steps.size(), 4u);
  ASSERT_NE(social.FindField("benefit"), nullptr);
  EXPECT_EQ(social.FindField("benefit")->options.size(), 6u);
  EXPECT_EQ(social.FindField("given_name")->prefill, Prefill::kGivenName);
  EXPECT_TRUE(social.FindField("given_name")->keep_on_renewal);
  EXPECT_EQ(social.FindField("notice")->type, FieldType::kDocument);
  EXPECT_EQ(social.FindField("nonexistent"), nullptr);
  EXPECT_EQ(social.Fields().size(), 13u);
  EXPECT_EQ(social.title.In("en"), "Apply for a Kellenhusen social pass");
  EXPECT_EQ(social.title.In("de"), "Sozialpass Kellenhusen beantragen");

  FormDefinition volunteer = Parse(VolunteerText());
  EXPECT_EQ(volunteer.scheme, "ehrenamt-kellenhusen");
  EXPECT_EQ(volunteer.kind, cards::SchemeKind::kVolunteerCard);
  EXPECT_EQ(volunteer.reference_prefix, "EA");
  EXPECT_EQ(volunteer.assurance, accounts::Assurance::kLow);
  EXPECT_TRUE(volunteer.four_eyes);
  ASSERT_TRUE(volunteer.organisation.has_value());
  EXPECT_EQ(volunteer.organisation->email_field, "organisation_email");
  EXPECT_EQ(volunteer.organisation->shows.size(), 6u);
  EXPECT_EQ(volunteer.organisation->max_resends, 3);
  ASSERT_TRUE(volunteer.organisation->when.has_value());
  EXPECT_EQ(volunteer.organisation->when->values, std::vector<std::string>{"volunteering"});
  ASSERT_EQ(volunteer.checks.size(), 1u);
  EXPECT_EQ(volunteer.checks[0].field, "hours_per_week");
  EXPECT_EQ(volunteer.checks[0].any.size(), 2u);
  EXPECT_EQ(volunteer.FindField("activity")->type, FieldType::kMultiline);
  EXPECT_EQ(volunteer.FindField("activity")->max_length, 1000);
  EXPECT_EQ(volunteer.FindField("hours_per_year")->max, 8784);
}

TEST(FormDefinitionTest, FormJsonRoundTrips) {
  for (const std::string* text : {&SocialText(), &VolunteerText()}) {
    FormDefinition form = Parse(*text);
    const json first = FormJson(form);
    EXPECT_EQ(first["format"], std::string(kFormFormat));
    auto again = ParseForm(first.dump());
    ASSERT_TRUE(again.ok()) << again.status().ToString();
    EXPECT_EQ(FormJson(*again), first);
    EXPECT_EQ(FormJson(*again).dump(), first.dump());
    EXPECT_EQ(again->Fields().size(), form.Fields().size());
  }
}

TEST(FormDefinitionTest, FieldTypeNamesRoundTrip) {
  for (FieldType type : {FieldType::kText, FieldType::kMultiline, FieldType::kEmail, FieldType::kPostalCode,
                         FieldType::kDate, FieldType::kInteger, FieldType::kChoice, FieldType::kBoolean,
                         FieldType::kDocument, FieldType::kPersons}) {
    EXPECT_EQ(ParseFieldType(FieldTypeName(type)), type) << FieldTypeName(type);
  }
  EXPECT_EQ(FieldTypeName(FieldType::kPostalCode), "postal_code");
  EXPECT_EQ(ParseFieldType("dropdown"), std::nullopt);
}

// A change to the shipped social pass form, and the path its error must name.
struct Broken {
  const char* what;
  std::function<void(json&)> change;
  std::string path;
};

TEST(FormDefinitionTest, ErrorsNameTheJsonPath) {
  const std::vector<Broken> cases = {
      {"unknown top-level key", [](json& j) { j["colour"] = "red"; }, "$.colour"},
      {"unknown field key", [](json& j) { j["steps"][0]["fields"][0]["colour"] = "red"; },
       "$.steps[0].fields[0].colour"},
      {"unknown retention key", [](json& j) { j["retention"]["forever"] = 1; }, "$.retention.forever"},
      {"bad field type", [](json& j) { j["steps"][1]["fields"][0]["type"] = "dropdown"; },
       "$.steps[1].fields[0].type"},
      {"field type not a string", [](json& j) { j["steps"][1]["fields"][0]["type"] = 3; },
       "$.steps[1].fields[0].type"},
      {"duplicate field id", [](json& j) { j["steps"][0]["fields"][6]["id"] = "city"; }, "$.steps[0].fields[6].id"},
      {"duplicate id across steps", [](json& j) { j["steps"][1]["fields"][1]["id"] = "phone"; },
       "$.steps[1].fields[1].id"},
      {"bad field id", [](json& j) { j["steps"][0]["fields"][6]["id"] = "Phone"; }, "$.steps[0].fields[6].id"},
      {"when names a later field",
       [](json& j) { j["steps"][0]["fields"][6]["when"] = {{"field", "benefit"}, {"values", {"wohngeld"}}}; },
       "$.steps[0].fields[6].when.field"},
      {"when names a text field",
       [](json& j) { j["steps"][0]["fields"][6]["when"] = {{"field", "city"}, {"values", {"Kellenhusen"}}}; },
       "$.steps[0].fields[6].when.field"},
      {"when names no field",
       [](json& j) { j["steps"][1]["fields"][1]["when"] = {{"field", "nothing"}, {"values", {"x"}}}; },
       "$.steps[1].fields[1].when.field"},
      {"when without values",
       [](json& j) { j["steps"][1]["fields"][1]["when"] = {{"field", "benefit"}, {"values", json::array()}}; },
       "$.steps[1].fields[1].when.values"},
      {"choice without options", [](json& j) { j["steps"][1]["fields"][0].erase("options"); },
       "$.steps[1].fields[0].options"},
      {"choice with empty options", [](json& j) { j["steps"][1]["fields"][0]["options"] = json::array(); },
       "$.steps[1].fields[0].options"},
      {"repeated option",
       [](json& j) { j["steps"][1]["fields"][0]["options"][1]["value"] = "buergergeld"; },
       "$.steps[1].fields[0].options[1].value"},
      {"options on a text field",
       [](json& j) { j["steps"][0]["fields"][6]["options"] = j["steps"][1]["fields"][0]["options"]; },
       "$.steps[0].fields[6].options"},
      {"min_length on a date", [](json& j) { j["steps"][0]["fields"][2]["min_length"] = 2; },
       "$.steps[0].fields[2]"},
      {"min above max", [](json& j) { j["steps"][0]["fields"][6]["min_length"] = 40; },
       "$.steps[0].fields[6].min_length"},
      {"bad date bound", [](json& j) { j["steps"][0]["fields"][2]["min_date"] = "yesterday"; },
       "$.steps[0].fields[2].min_date"},
      {"label without German", [](json& j) { j["steps"][0]["fields"][0]["label"] = {{"en", "Given name"}}; },
       "$.steps[0].fields[0].label.de"},
      {"label in French", [](json& j) { j["steps"][0]["fields"][0]["label"]["fr"] = "Prénom"; },
       "$.steps[0].fields[0].label.fr"},
      {"unknown prefill", [](json& j) { j["steps"][0]["fields"][6]["prefill"] = "phone"; },
       "$.steps[0].fields[6].prefill"},
      {"missing holder field", [](json& j) { j["steps"][0]["fields"].erase(5); }, "$.steps"},
      {"optional holder field", [](json& j) { j["steps"][0]["fields"][3]["required"] = false; }, "$.steps"},
      {"conditional holder field",
       [](json& j) {
         j["steps"][0]["fields"][6] = {{"id", "adult"}, {"type", "boolean"}, {"label", {{"de", "Volljährig"}}}};
         std::swap(j["steps"][0]["fields"][5], j["steps"][0]["fields"][6]);
         j["steps"][0]["fields"][6]["when"] = {{"field", "adult"}, {"values", {"true"}}};
       },
       "$.steps"},
      {"valid_until_field names a text field", [](json& j) { j["valid_until_field"] = "notice_authority"; },
       "$.valid_until_field"},
      {"valid_until_field names no field", [](json& j) { j["valid_until_field"] = "notice_end"; },
       "$.valid_until_field"},
      {"household_field names a text field", [](json& j) { j["household_field"] = "city"; }, "$.household_field"},
      {"wrong format", [](json& j) { j["format"] = "passwerk-application-form/2"; }, "$.format"},
      {"guest card kind", [](json& j) { j["kind"] = "guest_card"; }, "$.kind"},
      {"bad assurance", [](json& j) { j["assurance"] = "very high"; }, "$.assurance"},
      {"lower-case reference prefix", [](json& j) { j["reference_prefix"] = "sp"; }, "$.reference_prefix"},
      {"retention out of range", [](json& j) { j["retention"]["drafts_days"] = 0; }, "$.retention.drafts_days"},
      {"reminder not an integer", [](json& j) { j["renewal_reminder_days"] = "30"; }, "$.renewal_reminder_days"},
      {"steps empty", [](json& j) { j["steps"] = json::array(); }, "$.steps"},
      {"step without fields", [](json& j) { j["steps"][2]["fields"] = json::array(); }, "$.steps[2].fields"},
      {"repeated step id", [](json& j) { j["steps"][1]["id"] = "person"; }, "$.steps[1].id"},
      {"check naming a text field",
       [](json& j) {
         j["checks"] = {{{"any", {{{"field", "city"}, {"min", 1}}}},
                         {"field", "city"},
                         {"message", {{"de", "Zu wenig"}}}}};
       },
       "$.checks[0].any[0].field"},
      {"organisation without e-mail field",
       [](json& j) {
         j["organisation"] = {{"name_field", "notice_authority"},
                              {"contact_field", "given_name"},
                              {"email_field", "city"},
                              {"shows", {"given_name"}}};
       },
       "$.organisation.email_field"},
  };
  for (const Broken& c : cases) {
    json j = json::parse(SocialText());
    c.change(j);
    auto parsed = ParseForm(j.dump());
    ASSERT_FALSE(parsed.ok()) << c.what;
    EXPECT_EQ(parsed.status().code(), ErrorCode::kInvalidArgument) << c.what;
    EXPECT_EQ(parsed.status().field(), c.path) << c.what << ": " << parsed.status().message();
    EXPECT_NE(parsed.status().message().find(c.path), std::string::npos) << c.what << ": "
                                                                          << parsed.status().message();
  }
  // The holder field's error says which one.
  json j = json::parse(SocialText());
  j["steps"][0]["fields"].erase(5);
  EXPECT_NE(ParseForm(j.dump()).status().message().find("\"city\""), std::string::npos);
  // Not JSON, not an object.
  EXPECT_EQ(ParseForm("{").status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(ParseForm("[]").status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(ParseForm("").status().code(), ErrorCode::kInvalidArgument);
}

TEST(FormDefinitionTest, DateBoundsResolveAgainstToday) {
  EXPECT_EQ(DateBound{"today"}.Resolve(kToday), kToday);
  EXPECT_EQ(DateBound{"-2y"}.Resolve(kToday), D("2024-06-15"));
  EXPECT_EQ(DateBound{"+3y"}.Resolve(kToday), D("2029-06-15"));
  EXPECT_EQ(DateBound{"-120y"}.Resolve(kToday), D("1906-06-15"));
  EXPECT_EQ(DateBound{"+30d"}.Resolve(kToday), D("2026-07-15"));
  EXPECT_EQ(DateBound{"-1d"}.Resolve(D("2026-01-01")), D("2025-12-31"));
  EXPECT_EQ(DateBound{"+1m"}.Resolve(kToday), D("2026-07-15"));
  EXPECT_EQ(DateBound{"2026-01-31"}.Resolve(kToday), D("2026-01-31"));
}

// ------------------------------------------------------------ answers

TEST(FormAnswersTest, ACompleteApplicationHasNoProblems) {
  FormDefinition social = Parse(SocialText());
  EXPECT_TRUE(ValidateAnswers(social, SocialAnswers(), {"notice"}, kToday, true).empty());
  EXPECT_TRUE(ValidateAnswers(social, SocialAnswers(), {}, kToday, false).empty());
  FormDefinition volunteer = Parse(VolunteerText());
  EXPECT_TRUE(ValidateAnswers(volunteer, VolunteerAnswers(), {}, kToday, true).empty());
}

TEST(FormAnswersTest, RequiredFieldsOnlyWhenComplete) {
  FormDefinition social = Parse(SocialText());
  EXPECT_TRUE(ValidateAnswers(social, json::object(), {}, kToday, false).empty());
  auto errors = ValidateAnswers(social, json::object(), {}, kToday, true);
  // Every required field at once, the document among them; not the optional ones.
  EXPECT_EQ(Codes(errors), (std::map<std::string, std::string>{{"given_name", "required"},
                                                               {"family_name", "required"},
                                                               {"birth_date", "required"},
                                                               {"street", "required"},
                                                               {"postal_code", "required"},
                                                               {"city", "required"},
                                                               {"benefit", "required"},
                                                               {"notice_authority", "required"},
                                                               {"notice_valid_until", "required"},
                                                               {"notice", "required"}}));
  // Blank text is not an answer.
  json blank = SocialAnswers();
  blank["notice_authority"] = "   ";
  EXPECT_EQ(Codes(ValidateAnswers(social, blank, {"notice"}, kToday, true)),
            (std::map<std::string, std::string>{{"notice_authority", "required"}}));
  // The document is there when uploaded.
  EXPECT_EQ(Codes(ValidateAnswers(social, SocialAnswers(), {"further_evidence"}, kToday, true)),
            (std::map<std::string, std::string>{{"notice", "required"}}));
  // A tick box that is required must be ticked.
  FormDefinition volunteer = Parse(VolunteerText());
  json unticked = VolunteerAnswers();
  unticked["unpaid"] = false;
  EXPECT_EQ(Codes(ValidateAnswers(volunteer, unticked, {}, kToday, true)),
            (std::map<std::string, std::string>{{"unpaid", "required"}}));
  EXPECT_TRUE(ValidateAnswers(volunteer, unticked, {}, kToday, false).empty());
}

TEST(FormAnswersTest, TextLengthsAndPostalCodes) {
  FormDefinition social = Parse(SocialText());
  json a = SocialAnswers();
  a["given_name"] = std::string(101, 'x');
  EXPECT_EQ(CodeOf(ValidateAnswers(social, a, {"notice"}, kToday, false), "given_name"), "too_long");
  a["given_name"] = std::string(100, 'x');
  EXPECT_TRUE(ValidateAnswers(social, a, {"notice"}, kToday, false).empty());
  // Code points, not bytes: a hundred umlauts fit.
  std::string umlauts;
  for (int i = 0; i < 100; ++i) umlauts += "ä";
  a["given_name"] = umlauts;
  EXPECT_TRUE(ValidateAnswers(social, a, {"notice"}, kToday, false).empty());
  // Trimmed before counting.
  a["given_name"] = "  " + std::string(100, 'x') + "  ";
  EXPECT_TRUE(ValidateAnswers(social, a, {"notice"}, kToday, false).empty());
  a["given_name"] = "Erika\x01";
  EXPECT_EQ(CodeOf(ValidateAnswers(social, a, {}, kToday, false), "given_name"), "invalid");
  a["given_name"] = "Erika\nMaria";  // no line breaks in one line
  EXPECT_EQ(CodeOf(ValidateAnswers(social, a, {}, kToday, false), "given_name"), "invalid");
  a["given_name"] = "Erika\u202E";  // no direction overrides
  EXPECT_EQ(CodeOf(ValidateAnswers(social, a, {}, kToday, false), "given_name"), "invalid");
  a["given_name"] = std::string("Erika\xC3", 6);  // not UTF-8
  EXPECT_EQ(CodeOf(ValidateAnswers(social, a, {}, kToday, false), "given_name"), "invalid");
  a["given_name"] = "Erika";
  for (const char* bad : {"2374", "237460", "2374a", "ABCDE", "23 46", "２３７４６"}) {
    a["postal_code"] = bad;
    EXPECT_EQ(CodeOf(ValidateAnswers(social, a, {}, kToday, false), "postal_code"), "invalid") << bad;
  }
  for (const char* good : {"23746", " 23746 ", "01067"}) {
    a["postal_code"] = good;
    EXPECT_TRUE(ValidateAnswers(social, a, {}, kToday, false).empty()) << good;
  }
  // A paragraph keeps its line breaks.
  FormDefinition volunteer = Parse(VolunteerText());
  json v = VolunteerAnswers();
  v["activity"] = "Training\nmontags und mittwochs\r\n";
  EXPECT_TRUE(ValidateAnswers(volunteer, v, {}, kToday, true).empty());
  v["activity"] = std::string(1001, 'x');
  EXPECT_EQ(CodeOf(ValidateAnswers(volunteer, v, {}, kToday, true), "activity"), "too_long");
  v["activity"] = "Training";
  for (const char* bad : {"vorstand", "vorstand@", "@tsv.example", "vorstand@tsv", "a b@tsv.example",
                          "a@b@tsv.example", "<vorstand@tsv.example>",
                          // What the mail outbox would refuse when the request is sent (CheckEmailAddress).
                          "vorstand..a@tsv.example", "vorstand@tsv_kellenhusen.example", "vörstand@tsv.example",
                          "vorstand@tsv..example", ".vorstand@tsv.example"}) {
    v["organisation_email"] = bad;
    EXPECT_EQ(CodeOf(ValidateAnswers(volunteer, v, {}, kToday, true), "organisation_email"), "invalid") << bad;
  }
  for (const char* good : {"vorstand@tsv-kellenhusen.example", "e.m+tsv@mail.example.de", " otto@tsv.example "}) {
    v["organisation_email"] = good;
    EXPECT_TRUE(ValidateAnswers(volunteer, v, {}, kToday, true).empty()) << good;
  }
}

TEST(FormAnswersTest, DatesWithinTheirBoundsRelativeToToday) {
  FormDefinition social = Parse(SocialText());
  auto code = [&](const char* field, const char* value) {
    json a = SocialAnswers();
    a[field] = value;
    return CodeOf(ValidateAnswers(social, a, {"notice"}, kToday, true), field);
  };
  // birth_date: from "-120y" to "today".
  EXPECT_EQ(code("birth_date", "1906-06-14"), "too_early");
  EXPECT_EQ(code("birth_date", "1906-06-15"), "");
  EXPECT_EQ(code("birth_date", "2026-06-15"), "");
  EXPECT_EQ(code("birth_date", "2026-06-16"), "too_late");
  // notice_valid_until: from "today" to "+3y".
  EXPECT_EQ(code("notice_valid_until", "2026-06-14"), "too_early");
  EXPECT_EQ(code("notice_valid_until", "2026-06-15"), "");
  EXPECT_EQ(code("notice_valid_until", "2029-06-15"), "");
  EXPECT_EQ(code("notice_valid_until", "2029-06-16"), "too_late");
  for (const char* bad : {"15.06.2026", "2026-02-30", "2026-6-1", "morgen"}) {
    EXPECT_EQ(code("notice_valid_until", bad), "invalid") << bad;
  }
  // The same answers a year later: the bounds move with today.
  json a = SocialAnswers();
  a["notice_valid_until"] = "2027-01-10";
  EXPECT_TRUE(ValidateAnswers(social, a, {"notice"}, kToday, true).empty());
  EXPECT_EQ(CodeOf(ValidateAnswers(social, a, {"notice"}, D("2027-01-11"), true), "notice_valid_until"),
            "too_early");
  // since: at most "-2y".
  FormDefinition volunteer = Parse(VolunteerText());
  json v = VolunteerAnswers();
  v["since"] = "2024-06-15";
  EXPECT_TRUE(ValidateAnswers(volunteer, v, {}, kToday, true).empty());
  v["since"] = "2024-06-16";
  EXPECT_EQ(CodeOf(ValidateAnswers(volunteer, v, {}, kToday, true), "since"), "too_late");
}

TEST(FormAnswersTest, IntegersChoicesAndTypes) {
  FormDefinition volunteer = Parse(VolunteerText());
  auto errors_with = [&](const char* field, const json& value) {
    json v = VolunteerAnswers();
    v[field] = value;
    return ValidateAnswers(volunteer, v, {}, kToday, false);
  };
  EXPECT_EQ(CodeOf(errors_with("hours_per_week", -1), "hours_per_week"), "too_small");
  EXPECT_EQ(CodeOf(errors_with("hours_per_week", 169), "hours_per_week"), "too_large");
  EXPECT_TRUE(errors_with("hours_per_week", 168).empty());
  EXPECT_TRUE(errors_with("hours_per_week", 0).empty());
  EXPECT_EQ(CodeOf(errors_with("hours_per_week", "5"), "hours_per_week"), "invalid");
  EXPECT_EQ(CodeOf(errors_with("hours_per_week", 5.5), "hours_per_week"), "invalid");
  EXPECT_EQ(CodeOf(errors_with("hours_per_year", 8785), "hours_per_year"), "too_large");
  EXPECT_EQ(CodeOf(errors_with("basis", "money"), "basis"), "not_an_option");
  EXPECT_EQ(CodeOf(errors_with("basis", "Volunteering"), "basis"), "not_an_option");
  EXPECT_EQ(CodeOf(errors_with("basis", true), "basis"), "invalid");
  EXPECT_EQ(CodeOf(errors_with("unpaid", "yes"), "unpaid"), "invalid");
  EXPECT_EQ(CodeOf(errors_with("given_name", 5), "given_name"), "invalid");
  EXPECT_EQ(CodeOf(errors_with("since", 2020), "since"), "invalid");
  // Unknown fields and answered documents are problems even in a draft.
  EXPECT_EQ(CodeOf(errors_with("favourite_colour", "blue"), "favourite_colour"), "invalid");
  EXPECT_EQ(CodeOf(errors_with("juleica_card", "karte.pdf"), "juleica_card"), "invalid");
  // Not an object at all.
  EXPECT_EQ(Codes(ValidateAnswers(volunteer, json::array(), {}, kToday, false)),
            (std::map<std::string, std::string>{{"answers", "invalid"}}));
}

TEST(FormAnswersTest, ConditionalFieldsAreAskedOnlyWhenShown) {
  FormDefinition volunteer = Parse(VolunteerText());
  // With a JuLeiCa: the card's fields and document are required, the engagement's are not.
  json juleica = {{"given_name", "Jan"},   {"family_name", "Leiter"}, {"birth_date", "2000-05-05"},
                  {"street", "Am Deich 4"}, {"postal_code", "23746"}, {"city", "Kellenhusen (Ostsee)"},
                  {"basis", "juleica"}};
  EXPECT_EQ(Codes(ValidateAnswers(volunteer, juleica, {}, kToday, true)),
            (std::map<std::string, std::string>{{"juleica_number", "required"},
                                                {"juleica_valid_until", "required"},
                                                {"juleica_card", "required"}}));
  juleica["juleica_number"] = "JL-12345";
  juleica["juleica_valid_until"] = "2027-03-31";
  // A hidden field's answer is not checked at all, nor the check over hours.
  juleica["hours_per_week"] = 1000;
  juleica["since"] = "gestern";
  EXPECT_TRUE(ValidateAnswers(volunteer, juleica, {"juleica_card"}, kToday, true).empty());
  // Volunteering: the engagement's fields are required, the JuLeiCa's are not.
  json volunteering = juleica;
  volunteering["basis"] = "volunteering";
  volunteering.erase("hours_per_week");
  volunteering.erase("since");
  auto errors = ValidateAnswers(volunteer, volunteering, {}, kToday, true);
  auto codes = Codes(errors);
  for (const char* field : {"activity", "since", "unpaid", "organisation_name", "organisation_contact",
                            "organisation_email"}) {
    EXPECT_EQ(codes[field], "required") << field;
  }
  EXPECT_FALSE(codes.contains("juleica_number"));
  EXPECT_FALSE(codes.contains("juleica_card"));
  // No basis yet: nothing conditional is shown.
  json none = juleica;
  none.erase("basis");
  EXPECT_EQ(Codes(ValidateAnswers(volunteer, none, {}, kToday, true)),
            (std::map<std::string, std::string>{{"basis", "required"}}));
  EXPECT_FALSE(Visible(volunteer, *volunteer.FindField("activity"), none));
  EXPECT_TRUE(Visible(volunteer, *volunteer.FindField("activity"), VolunteerAnswers()));
  EXPECT_TRUE(Visible(volunteer, *volunteer.FindField("given_name"), none));
}

TEST(FormAnswersTest, TheVolunteerFormsHoursCheckIsReportedAtItsField) {
  FormDefinition volunteer = Parse(VolunteerText());
  json v = VolunteerAnswers();
  v["hours_per_week"] = 4;
  v["hours_per_year"] = 200;
  auto errors = ValidateAnswers(volunteer, v, {}, kToday, true);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].field, "hours_per_week");
  EXPECT_EQ(errors[0].code, "check");
  EXPECT_EQ(errors[0].message, volunteer.checks[0].message.en);
  // Either minimum is enough.
  v["hours_per_year"] = 250;
  EXPECT_TRUE(ValidateAnswers(volunteer, v, {}, kToday, true).empty());
  v.erase("hours_per_week");
  EXPECT_TRUE(ValidateAnswers(volunteer, v, {}, kToday, true).empty());
  v["hours_per_week"] = 5;
  v.erase("hours_per_year");
  EXPECT_TRUE(ValidateAnswers(volunteer, v, {}, kToday, true).empty());
  // Neither given: the check, once.
  v.erase("hours_per_week");
  errors = ValidateAnswers(volunteer, v, {}, kToday, true);
  EXPECT_EQ(Codes(errors), (std::map<std::string, std::string>{{"hours_per_week", "check"}}));
  // Only for a complete application; a draft may be unfinished.
  EXPECT_TRUE(ValidateAnswers(volunteer, v, {}, kToday, false).empty());
  // A field's own error is not reported twice.
  v["hours_per_week"] = 500;
  EXPECT_EQ(Codes(ValidateAnswers(volunteer, v, {}, kToday, true)),
            (std::map<std::string, std::string>{{"hours_per_week", "too_large"}}));
}

TEST(FormAnswersTest, EveryProblemIsListed) {
  FormDefinition social = Parse(SocialText());
  json a = SocialAnswers();
  a["given_name"] = std::string(150, 'x');
  a["postal_code"] = "1234";
  a["benefit"] = "lottery";
  a["birth_date"] = "2030-01-01";
  a["unknown"] = 1;
  a.erase("city");
  EXPECT_EQ(Codes(ValidateAnswers(social, a, {}, kToday, true)),
            (std::map<std::string, std::string>{{"given_name", "too_long"},
                                                {"postal_code", "invalid"},
                                                {"benefit", "not_an_option"},
                                                {"birth_date", "too_late"},
                                                {"unknown", "invalid"},
                                                {"city", "required"},
                                                {"notice", "required"}}));
}

TEST(FormAnswersTest, HouseholdMembersAreCheckedOneByOne) {
  FormDefinition social = Parse(SocialText());
  json a = SocialAnswers();
  a["household_members"] = {
      {{"given_name", "Max"}, {"family_name", "Mustermann"}, {"birth_date", "2015-03-01"}},
      {{"given_name", "Mia"}, {"family_name", "Mustermann"}, {"birth_date", "2030-01-01"}},
  };
  EXPECT_EQ(Codes(ValidateAnswers(social, a, {"notice"}, kToday, true)),
            (std::map<std::string, std::string>{{"household_members[1].birth_date", "too_late"}}));
  a["household_members"][1] = {{"given_name", "Mia"}, {"birth_date", "15.01.2019"}, {"age", 7}};
  EXPECT_EQ(Codes(ValidateAnswers(social, a, {"notice"}, kToday, true)),
            (std::map<std::string, std::string>{{"household_members[1].birth_date", "invalid"},
                                                {"household_members[1].family_name", "required"},
                                                {"household_members[1].age", "invalid"}}));
  // A draft: the missing part is no problem yet, the wrong ones are.
  EXPECT_EQ(Codes(ValidateAnswers(social, a, {"notice"}, kToday, false)),
            (std::map<std::string, std::string>{{"household_members[1].birth_date", "invalid"},
                                                {"household_members[1].age", "invalid"}}));
  a["household_members"][1] = "Mia";
  EXPECT_EQ(CodeOf(ValidateAnswers(social, a, {"notice"}, kToday, false), "household_members[1]"), "invalid");
  a["household_members"][1] = {{"given_name", std::string(101, 'x')}, {"family_name", 7}, {"birth_date", "2019-01-15"}};
  EXPECT_EQ(Codes(ValidateAnswers(social, a, {"notice"}, kToday, false)),
            (std::map<std::string, std::string>{{"household_members[1].given_name", "too_long"},
                                                {"household_members[1].family_name", "invalid"}}));
  a["household_members"] = "Max und Mia";
  EXPECT_EQ(CodeOf(ValidateAnswers(social, a, {"notice"}, kToday, false), "household_members"), "invalid");
  a["household_members"] = json::array();
  for (int i = 0; i < 9; ++i) {
    a["household_members"].push_back(
        {{"given_name", "Kind" + std::to_string(i)}, {"family_name", "M"}, {"birth_date", "2015-01-01"}});
  }
  EXPECT_EQ(CodeOf(ValidateAnswers(social, a, {"notice"}, kToday, false), "household_members"), "too_large");
  a["household_members"].erase(8);
  EXPECT_TRUE(ValidateAnswers(social, a, {"notice"}, kToday, true).empty());
}

TEST(FormAnswersTest, CleanAnswersDropsHiddenFieldsAndTrimsText) {
  FormDefinition volunteer = Parse(VolunteerText());
  json v = VolunteerAnswers();
  v["basis"] = "juleica";
  v["juleica_number"] = "  JL-12345 ";
  v["given_name"] = "\tEmma  ";
  v["family_name"] = "   ";
  v["unknown"] = "x";
  v["further_evidence"] = "a document is no answer";
  json clean = CleanAnswers(volunteer, v);
  EXPECT_EQ(clean["given_name"], "Emma");
  EXPECT_EQ(clean["juleica_number"], "JL-12345");
  EXPECT_FALSE(clean.contains("family_name"));  // blank is no answer
  for (const char* hidden : {"activity", "since", "hours_per_week", "unpaid", "organisation_name",
                             "organisation_email"}) {
    EXPECT_FALSE(clean.contains(hidden)) << hidden;
  }
  EXPECT_FALSE(clean.contains("unknown"));
  EXPECT_FALSE(clean.contains("further_evidence"));
  EXPECT_EQ(clean["basis"], "juleica");
  // Shown again: numbers and yes/no kept as they are.
  json shown = CleanAnswers(volunteer, VolunteerAnswers());
  EXPECT_EQ(shown["hours_per_week"], 6);
  EXPECT_EQ(shown["unpaid"], true);
  EXPECT_EQ(shown["activity"], "Jugendtrainerin im Sportverein");
  EXPECT_EQ(shown, VolunteerAnswers());
  // Persons: each part trimmed.
  FormDefinition social = Parse(SocialText());
  json a = SocialAnswers();
  a["household_members"] = {{{"given_name", " Max "}, {"family_name", "Mustermann"}, {"birth_date", "2015-03-01"}}};
  json members = CleanAnswers(social, a)["household_members"];
  ASSERT_EQ(members.size(), 1u);
  EXPECT_EQ(members[0]["given_name"], "Max");
  EXPECT_EQ(CleanAnswers(social, json::array()), json::object());
}

TEST(FormAnswersTest, HoldersAreTheApplicantAndEachHouseholdMember) {
  FormDefinition social = Parse(SocialText());
  json a = SocialAnswers();
  auto alone = Holders(social, a);
  ASSERT_EQ(alone.size(), 1u);
  EXPECT_EQ(alone[0].given_name, "Erika");
  EXPECT_EQ(alone[0].family_name, "Mustermann");
  EXPECT_EQ(alone[0].birth_date, "1980-04-01");
  EXPECT_EQ(alone[0].street, "Strandstraße 1");
  EXPECT_EQ(alone[0].postal_code, "23746");
  EXPECT_EQ(alone[0].city, "Kellenhusen (Ostsee)");
  a["household_members"] = {
      {{"given_name", "Max"}, {"family_name", "Mustermann"}, {"birth_date", "2015-03-01"}},
      {{"given_name", "Mia"}, {"family_name", "Musterfrau"}, {"birth_date", "2019-01-15"}},
  };
  auto household = Holders(social, a);
  ASSERT_EQ(household.size(), 3u);
  EXPECT_EQ(household[1].given_name, "Max");
  EXPECT_EQ(household[1].birth_date, "2015-03-01");
  EXPECT_EQ(household[2].given_name, "Mia");
  EXPECT_EQ(household[2].family_name, "Musterfrau");
  for (const cards::Holder& h : household) {
    EXPECT_EQ(h.street, "Strandstraße 1");
    EXPECT_EQ(h.postal_code, "23746");
    EXPECT_EQ(h.city, "Kellenhusen (Ostsee)");
  }
  // The volunteer form has no household: one card.
  FormDefinition volunteer = Parse(VolunteerText());
  EXPECT_EQ(Holders(volunteer, VolunteerAnswers()).size(), 1u);
}

// Mutated definitions: never a crash (the debug build runs under ASan and
// UBSan), always either a form or InvalidArgument; a form that parses
// writes itself out as a form that parses again.
TEST(FormDefinitionFuzzTest, MutatedDefinitionsNeverCrash) {
  const std::string seed = SocialText();
  std::mt19937 random(20260615);
  int parsed = 0;
  for (int round = 0; round < 2000; ++round) {
    std::string text = seed;
    int edits = 1 + static_cast<int>(random() % 6);
    for (int e = 0; e < edits && !text.empty(); ++e) {
      size_t at = random() % text.size();
      switch (random() % 4) {
        case 0:
          text[at] = static_cast<char>(random());
          break;
        case 1:
          text.erase(at, 1 + random() % 24);
          break;
        case 2:
          text.insert(at, text.substr(random() % text.size(), 1 + random() % 32));
          break;
        default:
          text.insert(at, std::string(1 + random() % 3, "{}[]\",:0-"[random() % 9]));
      }
    }
    auto form = ParseForm(text);
    if (!form.ok()) {
      EXPECT_EQ(form.status().code(), ErrorCode::kInvalidArgument) << form.status().ToString();
      continue;
    }
    ++parsed;
    auto again = ParseForm(FormJson(*form).dump());
    EXPECT_TRUE(again.ok()) << again.status().ToString();
    (void)ValidateAnswers(*form, SocialAnswers(), {"notice"}, kToday, true);
    (void)CleanAnswers(*form, SocialAnswers());
  }
  EXPECT_GT(parsed, 0);  // some edits land in texts and keep the form valid
}

}  // namespace
}  // namespace passwerk::applications
