// Staff web pages. Landlords: their registrations (Meldeschein), one by one or as a CSV batch.
// Thin handlers: read the form, call one domain service, render. Forms work
// without JavaScript; every POST carries a CSRF token.
#include <algorithm>
#include <cctype>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "cards/card_number.h"
#include "cards/cards.h"
#include "core/dates.h"
#include "guestcards/registration_csv_batch.h"
#include "guestcards/registrations.h"
#include "web/areas.h"
#include "web/html.h"
#include "web/i18n.h"
#include "web/page_env.h"

namespace passwerk::web {
namespace {

// Landlords: their registrations and the registration form (Meldeschein).
constexpr int kMaxFormGuests = 8;
constexpr std::string_view kGuestFields[] = {"family_name", "given_name",  "birth_date", "nationality", "gender",
                                             "street",      "postal_code", "city",       "country"};

// "guests[1].address.city" → "g1_city"; other fields keep their name.
std::string FormFieldOf(const std::string& api_field) {
  if (api_field.rfind("guests[", 0) != 0) return api_field;
  size_t close = api_field.find(']');
  if (close == std::string::npos) return api_field;
  std::string index = api_field.substr(7, close - 7);
  std::string rest = close + 2 <= api_field.size() ? api_field.substr(close + 2) : "";
  if (rest.rfind("address.", 0) == 0) rest = rest.substr(8);
  if (rest.rfind("reductions", 0) == 0) rest = "reductions";
  return "g" + index + "_" + (rest.empty() ? "family_name" : rest);
}

// The upload of a CSV batch under the form: the same batch as POST
// /api/v1/registrations/csv, posted as multipart/form-data with the CSRF token.
std::string RegistrationCsvSection(Env& env, const std::vector<web::FieldError>& csv_errors) {
  const Lang lang = env.lang;
  std::string html = SectionStart("reg-csv", T(lang, "reg.csv_title"));
  html += TextBlock(T(lang, "reg.csv_intro"));
  html += "<p class=\"kern-body\"><a class=\"kern-link\" href=\"/registrations/vorlage.csv\" download>" +
          Escape(T(lang, "reg.csv_template")) + "</a></p>";
  html += "<form method=\"post\" action=\"/registrations/csv\" enctype=\"multipart/form-data\" novalidate>" +
          web::CsrfInput(env.session->csrf_token);
  web::InputField file;
  file.name = "csv_file";
  file.type = "file";
  file.accept = ".csv,text/csv";
  file.label = T(lang, "reg.csv_file");
  file.hint = Tf(lang, "reg.csv_hint", {std::to_string(env.app.config.body_limit_bytes / 1024)});
  file.error = MessageFor(csv_errors, "csv_file");
  file.required = true;
  html += web::RenderInput(file);
  html += "<div class=\"pw-actions\">" + web::RenderButton(web::ButtonKind::kPrimary, T(lang, "reg.csv_submit")) +
          "</div></form></section>\n";
  return html;
}

Response RenderRegistrationForm(Env& env, int status, const std::map<std::string, std::string>& values, int guests,
                                const std::vector<web::FieldError>& errors,
                                const std::vector<web::FieldError>& csv_errors = {}) {
  const Lang lang = env.lang;
  accounts::Actor actor = ActorFor(env);
  std::string body = Heading(T(lang, "reg.new_title"));
  if (!errors.empty()) body += web::RenderErrorSummary(lang, errors);
  if (!csv_errors.empty()) body += web::RenderErrorSummary(lang, csv_errors);
  body += Paragraph(T(lang, "reg.new_intro"));
  auto error_of = [&](const std::string& field) { return MessageFor(errors, field); };
  auto value_of = [&](const std::string& field, const std::string& fallback = "") {
    auto it = values.find(field);
    return it == values.end() ? fallback : it->second;
  };
  auto accommodations = env.app.registrations.ListAccommodations(actor);
  if (!accommodations.ok() || accommodations->empty()) {
    body += Paragraph(T(lang, "reg.no_accommodation"));
    return web::HtmlPage(UserChrome(env, "registrations"), status, T(lang, "reg.new_title"), body);
  }
  // The reductions the municipality's tariff knows today.
  std::vector<guestcards::Reduction> reductions;
  if (auto tariff = env.app.registrations.TariffFor(accommodations->front().municipality_id,
                                                    ::passwerk::BerlinDate(env.app.clock.NowUnix()));
      tariff.ok()) {
    reductions = tariff->reductions;
  }
  body += "<form method=\"post\" action=\"/registrations\" novalidate>" + web::CsrfInput(env.session->csrf_token) +
          "<input type=\"hidden\" name=\"guests\" value=\"" + std::to_string(guests) + "\">";
  web::SelectField accommodation;
  accommodation.name = "accommodation_id";
  accommodation.label = T(lang, "reg.accommodation");
  accommodation.error = error_of("accommodation_id");
  accommodation.required = true;
  accommodation.groups.push_back({});
  for (const auto& a : *accommodations) {
    accommodation.groups[0].options.push_back({a.public_id, a.name, value_of("accommodation_id") == a.public_id});
  }
  body += web::RenderSelect(accommodation);
  for (const char* field : {"arrival", "departure"}) {
    web::InputField input;
    input.name = field;
    input.type = "date";
    input.label = T(lang, std::string("reg.") + field);
    input.value = value_of(field);
    input.error = error_of(field);
    input.required = true;
    body += web::RenderInput(input);
  }
  for (int i = 0; i < guests; ++i) {
    std::string prefix = "g" + std::to_string(i) + "_";
    body += "<fieldset class=\"kern-fieldset pw-section\"><legend class=\"kern-label\">" +
            Escape(Tf(lang, "reg.guest", {std::to_string(i + 1)})) + "</legend>";
    for (std::string_view f : kGuestFields) {
      std::string name = prefix + std::string(f);
      if (f == "gender") {
        web::SelectField gender;
        gender.name = name;
        gender.label = T(lang, "reg.gender");
        gender.error = error_of(name);
        gender.groups.push_back({});
        for (const char* g : {"f", "m", "d", "x"}) {
          gender.groups[0].options.push_back(
              {g, std::string(T(lang, std::string("reg.gender_") + g)), value_of(name, "x") == g});
        }
        body += web::RenderSelect(gender);
        continue;
      }
      web::InputField input;
      input.name = name;
      input.label = T(lang, "reg." + std::string(f));
      input.value = value_of(name, f == "nationality" || f == "country" ? "DE" : "");
      input.error = error_of(name);
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
    web::CheckboxGroup extras;
    extras.name = prefix + "reductions";
    extras.legend = T(lang, "reg.reductions");
    extras.error = error_of(prefix + "reductions");
    for (const auto& r : reductions) {
      std::string name = prefix + "r_" + r.id;
      extras.options.push_back({name, r.label.empty() ? r.id : r.label, !value_of(name).empty()});
    }
    extras.options.push_back(
        {prefix + "card", std::string(T(lang, "reg.card")), values.empty() || !value_of(prefix + "card").empty()});
    body += web::RenderCheckboxes(extras);
    body += "</fieldset>";
  }
  web::CheckboxGroup consent;
  consent.name = "consent";
  consent.legend = T(lang, "reg.consent_legend");
  consent.options.push_back(
      {"marketing_consent", std::string(T(lang, "reg.consent")), !value_of("marketing_consent").empty()});
  body += web::RenderCheckboxes(consent);
  body += "<div class=\"pw-actions\">" + web::RenderButton(web::ButtonKind::kPrimary, T(lang, "reg.submit"));
  if (guests < kMaxFormGuests) {
    body += LinkButton("/registrations/new?guests=" + std::to_string(guests + 1), T(lang, "reg.more_guests"), false);
  }
  body += "</div></form>\n";
  body += RegistrationCsvSection(env, csv_errors);
  return web::HtmlPage(UserChrome(env, "registrations"), status, T(lang, "reg.new_title"), body);
}

int GuestCountOf(const std::string& text) {
  if (text.size() != 1 || text[0] < '1' || text[0] > '0' + kMaxFormGuests) return 2;
  return text[0] - '0';
}

Response GetNewRegistration(Env& env) {
  if (!Can(env, accounts::Action::kReadRegistrations)) return Forbidden(env);
  return RenderRegistrationForm(env, 200, {}, GuestCountOf(env.request.QueryParam("guests").value_or("2")), {});
}

Response PostRegistration(Env& env) {
  const Lang lang = env.lang;
  if (!Can(env, accounts::Action::kReadRegistrations)) return Forbidden(env);
  auto form = env.request.FormParams();
  if (!CsrfMatches(env.session->csrf_token, form)) return web::CsrfErrorPage(UserChrome(env, ""));
  int guests = GuestCountOf(FormValue(form, "guests"));
  std::map<std::string, std::string> values;
  for (const auto& [k, v] : form) {
    if (k != "csrf") values[k] = TrimSpaces(v);
  }
  nlohmann::json body = {{"accommodation_id", values["accommodation_id"]},
                         {"arrival", values["arrival"]},
                         {"departure", values["departure"]},
                         {"guests", nlohmann::json::array()},
                         {"marketing_consent", !values["marketing_consent"].empty()}};
  for (int i = 0; i < guests; ++i) {
    std::string p = "g" + std::to_string(i) + "_";
    nlohmann::json reductions = nlohmann::json::array();
    for (const auto& [k, v] : values) {
      if (k.rfind(p + "r_", 0) == 0 && !v.empty()) reductions.push_back(k.substr(p.size() + 2));
    }
    std::string nationality = values[p + "nationality"], country = values[p + "country"];
    for (char& c : nationality) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    for (char& c : country) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    body["guests"].push_back({{"family_name", values[p + "family_name"]},
                              {"given_name", values[p + "given_name"]},
                              {"birth_date", values[p + "birth_date"]},
                              {"nationality", nationality},
                              {"gender", values[p + "gender"]},
                              {"address",
                               {{"street", values[p + "street"]},
                                {"postal_code", values[p + "postal_code"]},
                                {"city", values[p + "city"]},
                                {"country", country}}},
                              {"reductions", reductions},
                              {"card", !values[p + "card"].empty()}});
  }
  auto fail = [&](const Status& status) {
    std::string field = FormFieldOf(status.field());
    std::string message(T(lang, status.code() == ErrorCode::kNotFound ? "reg.err_accommodation" : "reg.err_field"));
    if (status.field() == "group.size" || status.code() == ErrorCode::kFailedPrecondition) {
      message = std::string(T(lang, "reg.err_tariff"));
    }
    return RenderRegistrationForm(env, 422, values, guests, {{field.empty() ? "accommodation_id" : field, message}});
  };
  auto input = guestcards::ParseRegistration(body);
  if (!input.ok()) return fail(input.status());
  auto result = env.app.registrations.Register(ActorFor(env), *input);
  if (!result.ok()) {
    if (result.status().code() == ErrorCode::kUnavailable || result.status().code() == ErrorCode::kInternal) {
      return ErrorFor(env, result.status());
    }
    return fail(result.status());
  }
  std::string page = Heading(T(lang, "reg.done_title"));
  page += web::RenderAlert(
      web::AlertKind::kSuccess, T(lang, "reg.done_alert"),
      "<p class=\"kern-body\">" + Escape(Tf(lang, "reg.done_number", {result->registration_number})) + "</p>");
  page += "<dl class=\"kern-description-list\">";
  page += DescriptionItem(T(lang, "reg.total"), Euro(result->total_cents, lang));
  for (size_t i = 0; i < result->guests.size(); ++i) {
    page += DescriptionItem(Tf(lang, "reg.guest", {std::to_string(i + 1)}),
                            Tf(lang, "reg.guest_tax",
                               {std::to_string(result->guests[i].nights), Euro(result->guests[i].amount_cents, lang)}));
  }
  for (const auto& card : result->cards) {
    page += DescriptionItem(Tf(lang, "reg.card_of", {std::to_string(card.guest_index + 1)}),
                            cards::FormatCardNumber(card.card_number) + " · " + card.barcode);
  }
  page += "</dl><p class=\"pw-actions\">" + LinkButton("/registrations", T(lang, "reg.back"), false) + "</p>";
  return web::HtmlPage(UserChrome(env, "registrations"), 201, T(lang, "reg.done_title"), page);
}

// A CSV batch from the upload on the registration form: all registrations or
// none; every problem with line and column, linked to the file input.
Response PostRegistrationCsv(Env& env) {
  const Lang lang = env.lang;
  if (!Can(env, accounts::Action::kReadRegistrations)) return Forbidden(env);
  auto parts = env.request.MultipartParts();
  std::map<std::string, std::string> fields;
  const FormPart* file = nullptr;
  if (parts) {
    for (const FormPart& part : *parts) {
      if (part.name == "csv_file") {
        if (!file) file = &part;
      } else {
        fields.try_emplace(part.name, part.data);
      }
    }
  }
  if (!CsrfMatches(env.session->csrf_token, fields)) return web::CsrfErrorPage(UserChrome(env, ""));
  auto refuse = [&](std::vector<web::FieldError> errors) {
    return RenderRegistrationForm(env, 422, {}, 2, {}, errors);
  };
  if (!file || file->data.empty()) return refuse({{"csv_file", std::string(T(lang, "reg.csv_missing"))}});
  std::vector<guestcards::CsvProblem> problems;
  auto batch = guestcards::RegisterCsvBatch(env.app.registrations, ActorFor(env), file->data, problems);
  if (!batch.ok()) {
    const ErrorCode code = batch.status().code();
    if (problems.empty() && code != ErrorCode::kInvalidArgument && code != ErrorCode::kFailedPrecondition) {
      return ErrorFor(env, batch.status());
    }
    std::vector<web::FieldError> errors;
    errors.push_back({"csv_file", problems.empty() ? std::string(T(lang, "reg.csv_refused"))
                                                   : Tf(lang, "reg.csv_problems", {std::to_string(problems.size())})});
    for (const auto& p : problems) {
      std::string where = p.line <= 0        ? std::string(T(lang, "common.file"))
                          : p.column.empty() ? Tf(lang, "common.line", {std::to_string(p.line)})
                                             : Tf(lang, "common.line_column", {std::to_string(p.line), p.column});
      errors.push_back({"csv_file", where + ": " + p.message});
    }
    return refuse(errors);
  }
  const std::string file_name = file->file_name.empty() ? "CSV" : file->file_name;
  std::string page = Heading(T(lang, "reg.csv_done_title"));
  page +=
      web::RenderAlert(web::AlertKind::kSuccess, T(lang, "reg.done_alert"),
                       TextBlock(Tf(lang, "reg.csv_done", {std::to_string(batch->registrations.size()), file_name})));
  page += TableStart("reg-csv-caption", T(lang, "reg.csv_caption"),
                     {"reg.col_number", "reg.csv_col_lines", "reg.col_tax", "reg.csv_col_cards"}, lang);
  for (size_t i = 0; i < batch->registrations.size(); ++i) {
    const auto& r = batch->registrations[i];
    std::string lines;
    if (i < batch->guest_lines.size()) {
      for (int line : batch->guest_lines[i]) lines += (lines.empty() ? "" : ", ") + std::to_string(line);
    }
    std::string cards_html;
    for (const auto& card : r.cards) {
      cards_html += (cards_html.empty() ? "" : "<br>") +
                    Escape(Tf(lang, "reg.csv_card",
                              {std::to_string(card.guest_index + 1), cards::FormatCardNumber(card.card_number)}));
    }
    page += "<tr class=\"kern-table__row\"><th scope=\"row\" class=\"kern-table__header\">" +
            Escape(r.registration_number) + "</th>" + Cell(lines) + Cell(Euro(r.total_cents, lang)) +
            "<td class=\"kern-table__cell\">" + (cards_html.empty() ? Escape(T(lang, "common.none")) : cards_html) +
            "</td></tr>";
  }
  page += "</tbody></table></div>\n<p class=\"pw-actions\">" +
          LinkButton("/registrations", T(lang, "reg.back"), false) + "</p>";
  return web::HtmlPage(UserChrome(env, "registrations"), 201, T(lang, "reg.csv_done_title"), page);
}

// The template of a CSV batch: the German column names (docs/guest-cards.md,
// "CSV batches") and two example rows for the user's first accommodation.
Response GetRegistrationCsvTemplate(Env& env) {
  if (!Can(env, accounts::Action::kReadRegistrations)) return Forbidden(env);
  std::string accommodation = "UNTERKUNFT";
  if (auto list = env.app.registrations.ListAccommodations(ActorFor(env)); list.ok() && !list->empty()) {
    accommodation = list->front().public_id;
  }
  Response response;
  response.status = 200;
  response.content_type = "text/csv; charset=utf-8";
  // With a BOM, so that spreadsheet programs open it as UTF-8.
  response.body =
      "\xEF\xBB\xBFMeldeschein;Unterkunft;Anreise;Abreise;Familienname;Vorname;Geburtsdatum;Staatsangehörigkeit;"
      "Geschlecht;Straße;PLZ;Ort;Land;Ermäßigungen;Gästekarte\r\n"
      "1;" +
      accommodation +
      ";29.03.2026;03.04.2026;Zauberlehrling;Erika;01.05.1980;DE;w;Hauptstraße 5;91052;"
      "Erlangen;DE;;ja\r\n"
      "1;" +
      accommodation +
      ";29.03.2026;03.04.2026;Zauberlehrling;Max;01.06.2015;DE;m;Hauptstraße 5;91052;"
      "Erlangen;DE;;ja\r\n";
  response.AddHeader("Content-Disposition", "attachment; filename=\"meldescheine-vorlage.csv\"");
  return response;
}

Response GetRegistrations(Env& env) {
  const Lang lang = env.lang;
  if (!Can(env, accounts::Action::kReadRegistrations)) return Forbidden(env);
  std::string body = Heading(T(lang, "reg.title"));
  body += Paragraph(T(lang, "reg.intro"));
  body += "<p class=\"pw-actions\">" + LinkButton("/registrations/new", T(lang, "reg.new"), true) + "</p>\n";
  auto list = env.app.registrations.ListRegistrations(ActorFor(env), 200);
  if (!list.ok()) return ErrorFor(env, list.status());
  if (list->empty()) {
    body += Paragraph(T(lang, "reg.empty"));
    return web::HtmlPage(UserChrome(env, "registrations"), 200, T(lang, "reg.title"), body);
  }
  body +=
      "<div class=\"kern-table-responsive pw-table-wrap\" role=\"region\" aria-labelledby=\"reg-caption\" "
      "tabindex=\"0\"><table class=\"kern-table kern-table--small kern-table--striped\"><caption "
      "class=\"kern-title\" id=\"reg-caption\">" +
      Escape(T(lang, "reg.caption")) + "</caption><thead><tr class=\"kern-table__row\">";
  for (std::string_view key : {"reg.col_number", "reg.col_stay", "reg.col_persons", "reg.col_tax", "reg.col_state"}) {
    body += "<th scope=\"col\" class=\"kern-table__header\">" + Escape(T(lang, key)) + "</th>";
  }
  body += "</tr></thead><tbody class=\"kern-table__body\">";
  for (const auto& r : *list) {
    body += "<tr class=\"kern-table__row\"><th scope=\"row\" class=\"kern-table__header\">" +
            Escape(r.registration_number) + "</th><td class=\"kern-table__cell\">" +
            Escape(ShowIsoDate(r.arrival, lang) + " – " + ShowIsoDate(r.departure, lang)) +
            "</td><td class=\"kern-table__cell\">" + std::to_string(r.adults + r.children) +
            "</td><td class=\"kern-table__cell\">" + Escape(Euro(r.total_cents, lang)) +
            "</td><td class=\"kern-table__cell\">" + Escape(T(lang, "reg.state_" + r.state)) + "</td></tr>";
  }
  body += "</tbody></table></div>\n";
  return web::HtmlPage(UserChrome(env, "registrations"), 200, T(lang, "reg.title"), body);
}

}  // namespace

void RegisterRegistrationPages(Router& router, AppContext& app) {
  router.Add("GET", "/registrations", "web_registrations", Protected(app, GetRegistrations));
  router.Add("GET", "/registrations/new", "web_registration_new", Protected(app, GetNewRegistration));
  router.Add("POST", "/registrations", "web_registration_create", Protected(app, PostRegistration));
  router.Add("POST", "/registrations/csv", "web_registration_csv", Protected(app, PostRegistrationCsv));
  router.Add("GET", "/registrations/vorlage.csv", "web_registration_csv_template",
             Protected(app, GetRegistrationCsvTemplate));
}

}  // namespace passwerk::web
