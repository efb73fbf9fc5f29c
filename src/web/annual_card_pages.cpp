// Staff pages for annual cards (docs/guest-cards.md, "Annual cards"): the
// office issues a card for the tariff's annual rate and renews one for the next
// year. Thin handlers: read the form, build the same JSON the API takes, call
// guestcards::AnnualCardService, render the receipt or the errors at the fields.
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cards/card_number.h"
#include "core/dates.h"
#include "guestcards/annual_cards.h"
#include "http/context.h"
#include "http/router.h"
#include "web/areas.h"
#include "web/html.h"
#include "web/i18n.h"
#include "web/page_env.h"

namespace passwerk::web {
namespace {

using Values = std::map<std::string, std::string>;

// Annual cards are the office's work: municipality administrators and clerks.
bool MayIssue(const Env& env) {
  return Can(env, accounts::Action::kManageGuestCards) && env.session->user.municipality_id.has_value();
}

constexpr std::string_view kHolderFields[] = {"family_name", "given_name",  "birth_date", "nationality", "gender",
                                              "street",      "postal_code", "city",       "country"};

// "holder.address.city" → "city", "holder.reductions[0]" → "reductions"; others keep their name.
std::string FormFieldOf(const std::string& api_field) {
  std::string field = api_field;
  for (std::string_view prefix : {"holder.address.", "holder."}) {
    if (field.rfind(prefix, 0) == 0) {
      field = field.substr(prefix.size());
      break;
    }
  }
  if (field.rfind("reductions", 0) == 0) return "reductions";
  return field;
}

// The reductions of the municipality's tariff today (labels for the checkboxes).
std::vector<guestcards::Reduction> TariffReductions(Env& env) {
  if (!env.session->user.municipality_id) return {};
  auto tariff = env.app.registrations.TariffFor(*env.session->user.municipality_id,
                                                ::passwerk::BerlinDate(env.app.clock.NowUnix()));
  return tariff.ok() ? tariff->reductions : std::vector<guestcards::Reduction>{};
}

web::CheckboxGroup ReductionBoxes(Env& env, const std::string& prefix, const Values& values, std::string error) {
  web::CheckboxGroup boxes;
  boxes.name = prefix + "reductions";
  boxes.legend = T(env.lang, "annual.reductions");
  boxes.hint = T(env.lang, "annual.reductions_hint");
  boxes.error = std::move(error);
  for (const auto& r : TariffReductions(env)) {
    std::string name = prefix + "r_" + r.id;
    boxes.options.push_back({name, r.label.empty() ? r.id : r.label, values.count(name) > 0});
  }
  return boxes;
}

nlohmann::json ReductionsOf(const Values& values, const std::string& prefix) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& [k, v] : values) {
    if (k.rfind(prefix + "r_", 0) == 0 && !v.empty()) out.push_back(k.substr(prefix.size() + 2));
  }
  return out;
}

Response RenderAnnualCards(Env& env, int status, const Values& issue_values, const Values& renew_values,
                           const std::vector<web::FieldError>& errors, bool renew_errors) {
  const Lang lang = env.lang;
  std::string body = Heading(T(lang, "annual.title"));
  if (!errors.empty()) body += web::RenderErrorSummary(lang, errors);
  body += Paragraph(T(lang, "annual.intro"));
  auto error_of = [&](bool for_renewal, const std::string& field) {
    return for_renewal == renew_errors ? MessageFor(errors, field) : std::string();
  };
  auto value_of = [](const Values& values, const std::string& field, const std::string& fallback = "") {
    auto it = values.find(field);
    return it == values.end() ? fallback : it->second;
  };
  const int year = ::passwerk::BerlinDate(env.app.clock.NowUnix()).year;

  // Issue a card.
  body += SectionStart("issue", T(lang, "annual.issue_title"));
  body += "<form method=\"post\" action=\"/annual-cards\" novalidate>" + web::CsrfInput(env.session->csrf_token);
  web::SelectField basis;
  basis.name = "basis";
  basis.label = T(lang, "annual.basis");
  basis.error = error_of(false, "basis");
  basis.required = true;
  basis.groups.push_back({});
  for (const char* b : guestcards::kAnnualBases) {
    basis.groups[0].options.push_back(
        {b, std::string(T(lang, std::string("annual.basis_") + b)), value_of(issue_values, "basis") == b});
  }
  body += web::RenderSelect(basis);
  web::SelectField year_field;
  year_field.name = "year";
  year_field.label = T(lang, "annual.year");
  year_field.error = error_of(false, "year");
  year_field.groups.push_back({});
  for (int y : {year, year + 1}) {
    std::string text = std::to_string(y);
    year_field.groups[0].options.push_back({text, text, value_of(issue_values, "year") == text});
  }
  body += web::RenderSelect(year_field);
  body += "<fieldset class=\"kern-fieldset pw-section\"><legend class=\"kern-label\">" +
          Escape(T(lang, "annual.holder")) + "</legend>";
  for (std::string_view f : kHolderFields) {
    const std::string name(f);
    if (f == "gender") {
      web::SelectField gender;
      gender.name = name;
      gender.label = T(lang, "reg.gender");
      gender.error = error_of(false, name);
      gender.groups.push_back({});
      for (const char* g : {"f", "m", "d", "x"}) {
        gender.groups[0].options.push_back(
            {g, std::string(T(lang, std::string("reg.gender_") + g)), value_of(issue_values, name, "x") == g});
      }
      body += web::RenderSelect(gender);
      continue;
    }
    web::InputField input;
    input.name = name;
    input.label = T(lang, "reg." + name);
    input.value = value_of(issue_values, name, f == "nationality" || f == "country" ? "DE" : "");
    input.error = error_of(false, name);
    input.required = true;
    if (f == "birth_date") input.type = "date";
    if (f == "postal_code") input.inputmode = "numeric";
    if (f == "nationality" || f == "country") {
      input.maxlength = 2;
      input.hint = T(lang, "reg.country_hint");
    }
    if (f == "family_name") input.autocomplete = "off";
    body += web::RenderInput(input);
  }
  body += "</fieldset>";
  body += web::RenderCheckboxes(ReductionBoxes(env, "", issue_values, error_of(false, "reductions")));
  web::InputField card;
  card.name = "card_number";
  card.label = T(lang, "annual.card_number");
  card.hint = T(lang, "annual.card_number_hint");
  card.value = value_of(issue_values, "card_number");
  card.error = error_of(false, "card_number");
  card.inputmode = "numeric";
  card.spellcheck_off = true;
  body += web::RenderInput(card);
  body += "<div class=\"pw-actions\">" + web::RenderButton(web::ButtonKind::kPrimary, T(lang, "annual.issue")) +
          "</div></form></section>\n";

  // Renew a card for the next year.
  body += SectionStart("renew", T(lang, "annual.renew_title"));
  body += Paragraph(T(lang, "annual.renew_intro"));
  body += "<form method=\"post\" action=\"/annual-cards/renew\" novalidate>" + web::CsrfInput(env.session->csrf_token);
  for (const char* f : {"renew_card_number", "renew_receipt_number"}) {
    web::InputField input;
    input.name = f;
    input.label = T(lang, std::string("annual.") + f);
    input.value = value_of(renew_values, f);
    input.error = error_of(true, f);
    input.required = true;
    input.spellcheck_off = true;
    input.autocomplete = "off";
    body += web::RenderInput(input);
  }
  web::SelectField renew_year;
  renew_year.name = "renew_year";
  renew_year.label = T(lang, "annual.year");
  renew_year.error = error_of(true, "renew_year");
  renew_year.groups.push_back({});
  for (int y : {year, year + 1}) {
    std::string text = std::to_string(y);
    renew_year.groups[0].options.push_back(
        {text, text, value_of(renew_values, "renew_year", std::to_string(year + 1)) == text});
  }
  body += web::RenderSelect(renew_year);
  body += web::RenderCheckboxes(ReductionBoxes(env, "renew_", renew_values, error_of(true, "renew_reductions")));
  body += "<div class=\"pw-actions\">" + web::RenderButton(web::ButtonKind::kPrimary, T(lang, "annual.renew")) +
          "</div></form></section>\n";
  return web::HtmlPage(UserChrome(env, "annual_cards"), status, T(lang, "annual.title"), body);
}

// The receipt after an issue or a renewal.
Response RenderReceipt(Env& env, int status, const guestcards::AnnualCardResult& r) {
  const Lang lang = env.lang;
  std::string page = Heading(T(lang, "annual.done_title"));
  page += web::RenderAlert(
      web::AlertKind::kSuccess, T(lang, "annual.done_alert"),
      "<p class=\"kern-body\">" + Escape(Tf(lang, "annual.done_receipt", {r.receipt_number})) + "</p>");
  page += "<dl class=\"kern-description-list\">";
  page += DescriptionItem(T(lang, "annual.card_number"), cards::FormatCardNumber(r.card_number));
  page += DescriptionItem(T(lang, "annual.validity"), Tf(lang, "annual.validity_range", {r.valid_from, r.valid_to}));
  std::string amount = Euro(r.amount_cents, lang);
  if (!r.reductions.empty()) {
    std::string reasons;
    for (const auto& id : r.reductions) reasons += (reasons.empty() ? "" : ", ") + id;
    amount += " (" + reasons + ")";
  }
  page += DescriptionItem(T(lang, "annual.amount"), amount);
  page += "</dl><p class=\"pw-actions\">" + LinkButton("/annual-cards", T(lang, "annual.back"), false) + "</p>";
  return web::HtmlPage(UserChrome(env, "annual_cards"), status, T(lang, "annual.done_title"), page);
}

Values FormValues(const std::map<std::string, std::string>& form) {
  Values values;
  for (const auto& [k, v] : form) {
    if (k != "csrf") values[k] = TrimSpaces(v);
  }
  return values;
}

std::string Upper(std::string text) {
  for (char& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return text;
}

// Errors a form can correct are shown at the field; the rest as error pages.
bool AtTheField(const Status& status) {
  return status.code() == ErrorCode::kInvalidArgument || status.code() == ErrorCode::kNotFound ||
         status.code() == ErrorCode::kFailedPrecondition;
}

// What the office can do about an error, in the page's language.
std::string MessageOf(Lang lang, const Status& status) {
  const std::string& field = status.field();
  if (status.code() == ErrorCode::kFailedPrecondition) {
    return std::string(T(lang, field == "card_number" ? "annual.err_card_taken"
                               : field.empty()        ? "annual.err_state"
                                                      : "annual.err_tariff"));
  }
  if (status.code() == ErrorCode::kNotFound) {
    return std::string(T(lang, field == "receipt_number" ? "annual.err_receipt" : "annual.err_card"));
  }
  if (field == "card_number") return std::string(T(lang, "annual.err_card"));
  if (field == "year") return std::string(T(lang, "annual.err_year"));
  return std::string(T(lang, "reg.err_field"));
}

Response GetAnnualCards(Env& env) {
  if (!MayIssue(env)) return Forbidden(env);
  return RenderAnnualCards(env, 200, {}, {}, {}, false);
}

Response PostAnnualCard(Env& env) {
  if (!MayIssue(env)) return Forbidden(env);
  auto form = env.request.FormParams();
  if (!CsrfMatches(env.session->csrf_token, form)) return web::CsrfErrorPage(UserChrome(env, ""));
  Values values = FormValues(form);
  auto municipality = env.app.accounts.MunicipalityFor(ActorFor(env), "");
  if (!municipality.ok()) return ErrorFor(env, municipality.status());
  const std::string municipality_number = municipality->municipality_number;
  nlohmann::json body = {{"municipality", municipality_number},
                         {"basis", values["basis"]},
                         {"holder",
                          {{"family_name", values["family_name"]},
                           {"given_name", values["given_name"]},
                           {"birth_date", values["birth_date"]},
                           {"nationality", Upper(values["nationality"])},
                           {"gender", values["gender"]},
                           {"address",
                            {{"street", values["street"]},
                             {"postal_code", values["postal_code"]},
                             {"city", values["city"]},
                             {"country", Upper(values["country"])}}},
                           {"reductions", ReductionsOf(values, "")}}}};
  if (!values["year"].empty()) body["year"] = std::atoi(values["year"].c_str());
  if (!values["card_number"].empty()) body["card_number"] = values["card_number"];
  auto fail = [&](const Status& status) {
    std::string field = FormFieldOf(status.field());
    return RenderAnnualCards(env, 422, values, {}, {{field.empty() ? "basis" : field, MessageOf(env.lang, status)}},
                             false);
  };
  auto input = guestcards::ParseAnnualCard(body, ::passwerk::BerlinDate(env.app.clock.NowUnix()));
  if (!input.ok()) return fail(input.status());
  auto result = env.app.annual_cards.Issue(ActorFor(env), *input);
  if (!result.ok()) return AtTheField(result.status()) ? fail(result.status()) : ErrorFor(env, result.status());
  return RenderReceipt(env, 201, *result);
}

Response PostAnnualRenewal(Env& env) {
  if (!MayIssue(env)) return Forbidden(env);
  auto form = env.request.FormParams();
  if (!CsrfMatches(env.session->csrf_token, form)) return web::CsrfErrorPage(UserChrome(env, ""));
  Values values = FormValues(form);
  guestcards::AnnualRenewal renewal;
  renewal.receipt_number = Upper(values["renew_receipt_number"]);
  renewal.year = std::atoi(values["renew_year"].c_str());
  for (const auto& id : ReductionsOf(values, "renew_")) renewal.reductions.push_back(id.get<std::string>());
  auto result = env.app.annual_cards.Renew(ActorFor(env), values["renew_card_number"], renewal);
  if (!result.ok()) {
    if (!AtTheField(result.status())) return ErrorFor(env, result.status());
    const std::string& api_field = result.status().field();
    std::string field = api_field == "receipt_number"           ? "renew_receipt_number"
                        : api_field == "year"                   ? "renew_year"
                        : api_field.rfind("reductions", 0) == 0 ? "renew_reductions"
                                                                : "renew_card_number";
    return RenderAnnualCards(env, 422, {}, values, {{field, MessageOf(env.lang, result.status())}}, true);
  }
  return RenderReceipt(env, 201, *result);
}

}  // namespace

void RegisterAnnualCardPages(Router& router, AppContext& app) {
  router.Add("GET", "/annual-cards", "web_annual_cards", Protected(app, GetAnnualCards));
  router.Add("POST", "/annual-cards", "web_annual_card_issue", Protected(app, PostAnnualCard));
  router.Add("POST", "/annual-cards/renew", "web_annual_card_renew", Protected(app, PostAnnualRenewal));
}

}  // namespace passwerk::web
