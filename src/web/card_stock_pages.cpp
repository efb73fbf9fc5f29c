// The card stock for office staff (001 §3.4 card logistics): the
// municipality's guest cards by status and card type, a page at a time; a
// production file imported whole or not at all; a stock card handed out
// before the stay (4.3); a returned card re-initialised (4.4). Segment
// logistics only — this page never shows personal data. Thin handlers: read
// the form, call one guestcards::LogisticsService function, render.

#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "cards/card_number.h"
#include "core/numbers.h"
#include "web/areas.h"
#include "web/html.h"
#include "web/i18n.h"
#include "web/page_env.h"

namespace passwerk::web {
namespace {

constexpr int kPageSize = 50;
constexpr std::string_view kStatuses[] = {"in_stock", "handed_out", "in_service", "departed", "blocked", "replaced"};
constexpr std::string_view kCardTypes[] = {"1.0", "2.0", "3.0", "21", "22", "23"};

// Office staff: the roles LogisticsService::ListCards lets see a municipality's cards.
bool MayView(const Env& env) { return Can(env, accounts::Action::kReadCardStock); }
// LogisticsService::ImportProductionFile: operators and municipality administrators.
bool MayImport(const Env& env) { return Can(env, accounts::Action::kImportCardStock); }

std::string StatusLabel(Lang lang, std::string_view status) {
  std::string key = "stock.status_" + std::string(status);
  return web::HasText(key) ? std::string(T(lang, key)) : std::string(status);
}

std::string TypeLabel(Lang lang, std::string_view type) {
  std::string suffix(type);
  std::replace(suffix.begin(), suffix.end(), '.', '_');
  const std::string key = "stock.type_" + suffix;
  return web::HasText(key) ? std::string(T(lang, key)) : std::string(type);
}

// What a POST asks the page to show besides the list.
struct Outcome {
  int status = 200;
  std::string notice_html;              // a success alert
  std::vector<web::FieldError> errors;  // each tied to its field
  std::map<std::string, std::string> values;
  std::string municipality;  // operators: the municipality the page was about
};

std::string Filter(Lang lang, const std::string& municipality, const std::string& status,
                   const std::string& card_type) {
  std::string html =
      "<form class=\"pw-filter\" method=\"get\" action=\"/card-stock\" aria-labelledby=\"stock-filter\" "
      "novalidate><h3 class=\"kern-heading-small\" id=\"stock-filter\">" +
      Escape(T(lang, "stock.filter")) + "</h3>";
  if (!municipality.empty()) {
    html += "<input type=\"hidden\" name=\"municipality\" value=\"" + Escape(municipality) + "\">";
  }
  web::SelectField by_status;
  by_status.name = "status";
  by_status.label = T(lang, "stock.col_status");
  by_status.groups.push_back({});
  by_status.groups[0].options.push_back({"", std::string(T(lang, "stock.any")), status.empty()});
  for (std::string_view s : kStatuses) {
    by_status.groups[0].options.push_back({std::string(s), StatusLabel(lang, s), status == s});
  }
  html += web::RenderSelect(by_status);
  web::SelectField by_type;
  by_type.name = "card_type";
  by_type.label = T(lang, "stock.col_type");
  by_type.groups.push_back({});
  by_type.groups[0].options.push_back({"", std::string(T(lang, "stock.any")), card_type.empty()});
  for (std::string_view t : kCardTypes) {
    by_type.groups[0].options.push_back({std::string(t), TypeLabel(lang, t), card_type == t});
  }
  html += web::RenderSelect(by_type);
  return html + "<div class=\"pw-actions\">" + web::RenderButton(web::ButtonKind::kPrimary, T(lang, "stock.show")) +
         "</div></form>\n";
}

std::string PageLink(const std::string& municipality, const std::string& status, const std::string& card_type,
                     int page) {
  std::string href = "/card-stock?status=" + UrlEncode(status) + "&card_type=" + UrlEncode(card_type) +
                     "&page=" + std::to_string(page);
  if (!municipality.empty()) href += "&municipality=" + UrlEncode(municipality);
  return href;
}

std::string HiddenMunicipality(const std::string& municipality) {
  return municipality.empty() ? ""
                              : "<input type=\"hidden\" name=\"municipality\" value=\"" + Escape(municipality) + "\">";
}

Response Render(Env& env, Outcome outcome) {
  const Lang lang = env.lang;
  const std::string wanted =
      outcome.municipality.empty() ? env.request.QueryParam("municipality").value_or("") : outcome.municipality;
  auto municipality = PageMunicipality(env, wanted, accounts::Action::kReadCardStock);
  if (!municipality) return web::ErrorPage(UserChrome(env, "card-stock"), 404);
  // Who reaches every municipality keeps the chosen one in links and forms;
  // others only ever see their own.
  const bool everywhere = !accounts::OnlyMunicipality(ActorFor(env), accounts::Action::kReadCardStock);
  const std::string keep = everywhere ? municipality->municipality_number : "";
  std::string status = env.request.method == "GET" ? env.request.QueryParam("status").value_or("") : "";
  std::string card_type = env.request.method == "GET" ? env.request.QueryParam("card_type").value_or("") : "";
  if (std::find(std::begin(kStatuses), std::end(kStatuses), status) == std::end(kStatuses)) status.clear();
  if (std::find(std::begin(kCardTypes), std::end(kCardTypes), card_type) == std::end(kCardTypes)) card_type.clear();
  int page = 1;
  if (auto p = env.request.QueryParam("page"); env.request.method == "GET" && p) {
    page = static_cast<int>(ParseIntegerIn(*p, 1, 999999).value_or(1));
  }

  std::string body = Heading(T(lang, "stock.title"));
  if (!outcome.errors.empty()) body += web::RenderErrorSummary(lang, outcome.errors);
  body += outcome.notice_html;
  body += Paragraph(Tf(lang, "stock.intro", {municipality->name}));

  // The cards, one page at a time (one more than a page tells whether there is a next).
  body += SectionStart("stock-cards", T(lang, "stock.cards"));
  body += Filter(lang, keep, status, card_type);
  guestcards::StockFilter filter{status, card_type, kPageSize + 1, static_cast<int64_t>(page - 1) * kPageSize};
  auto cards = env.app.logistics.ListCards(ActorFor(env), municipality->id, filter);
  if (!cards.ok()) return ErrorFor(env, cards.status());
  const bool more = static_cast<int>(cards->size()) > kPageSize;
  if (more) cards->pop_back();
  if (cards->empty()) {
    body += TextBlock(T(lang, page > 1 ? "stock.page_empty" : "stock.empty"));
  } else {
    body += TableStart(
        "stock-caption", Tf(lang, "stock.caption", {std::to_string(page)}),
        {"stock.col_number", "stock.col_type", "stock.col_counter", "stock.col_status", "stock.col_batch"}, lang);
    for (const auto& c : *cards) {
      body += "<tr class=\"kern-table__row\"><th scope=\"row\" class=\"kern-table__header\">" +
              Escape(cards::FormatCardNumber(c.card_number)) + "</th>" + Cell(TypeLabel(lang, c.card_type)) +
              Cell(std::to_string(c.circulation_counter)) + Cell(StatusLabel(lang, c.status)) + Cell(c.batch_id) +
              "</tr>";
    }
    body += "</tbody></table></div>\n";
  }
  if (page > 1 || more) {
    body += "<nav class=\"pw-actions\" aria-label=\"" + Escape(T(lang, "stock.pages")) + "\">";
    if (page > 1) body += LinkButton(PageLink(keep, status, card_type, page - 1), T(lang, "stock.previous"), false);
    if (more) body += LinkButton(PageLink(keep, status, card_type, page + 1), T(lang, "stock.next"), false);
    body += "</nav>";
  }
  body += "</section>\n";

  auto value_of = [&](const std::string& name) {
    auto it = outcome.values.find(name);
    return it == outcome.values.end() ? std::string() : it->second;
  };
  // A section with one numeric field and its button: hand-out and re-initialisation.
  auto one_field_section = [&](const std::string& id, const std::string& key, const std::string& action,
                               const std::string& field, const std::string& field_key) {
    body += SectionStart(id, T(lang, "stock." + key + "_title"));
    body += TextBlock(T(lang, "stock." + key + "_intro"));
    body += "<form method=\"post\" action=\"" + action + "\" novalidate>" + web::CsrfInput(env.session->csrf_token) +
            HiddenMunicipality(keep);
    web::InputField input;
    input.name = field;
    input.label = T(lang, "stock." + field_key);
    input.hint = T(lang, "stock." + field_key + "_hint");
    input.value = value_of(field);
    input.error = MessageFor(outcome.errors, field);
    input.inputmode = "numeric";
    input.autocomplete = "off";
    input.spellcheck_off = true;
    input.required = true;
    body += web::RenderInput(input);
    body += "<div class=\"pw-actions\">" + web::RenderButton(web::ButtonKind::kPrimary, T(lang, "stock." + key)) +
            "</div></form></section>\n";
  };
  // Hand-out before the stay (001 §4.3), re-initialisation (001 §4.4).
  one_field_section("stock-hand-out", "hand_out", "/card-stock/hand-out", "card_barcode", "barcode");
  one_field_section("stock-reinitialise", "reinit", "/card-stock/reinitialise", "card_number", "card_number");

  // Production files, for those who may import them.
  if (MayImport(env)) {
    body += SectionStart("stock-import", T(lang, "stock.import_title"));
    body += TextBlock(T(lang, "stock.import_intro"));
    body += "<form method=\"post\" action=\"/card-stock/import\" enctype=\"multipart/form-data\" novalidate>" +
            web::CsrfInput(env.session->csrf_token) + HiddenMunicipality(keep);
    web::InputField file;
    file.name = "production_file";
    file.type = "file";
    file.accept = ".csv,text/csv";
    file.label = T(lang, "stock.import_file");
    file.hint = Tf(lang, "stock.import_hint", {std::to_string(env.app.config.body_limit_bytes / 1024)});
    file.error = MessageFor(outcome.errors, "production_file");
    file.required = true;
    body += web::RenderInput(file);
    body += "<div class=\"pw-actions\">" + web::RenderButton(web::ButtonKind::kPrimary, T(lang, "stock.import")) +
            "</div></form></section>\n";
  }
  return web::HtmlPage(UserChrome(env, "card-stock"), outcome.status, T(lang, "stock.title"), body);
}

Response GetStock(Env& env) {
  if (!MayView(env)) return Forbidden(env);
  return Render(env, {});
}

// A domain error as an error at the field, or the error page when it is not about the input.
std::optional<Response> PageError(Env& env, const Status& status) {
  switch (status.code()) {
    case ErrorCode::kInvalidArgument:
    case ErrorCode::kNotFound:
    case ErrorCode::kFailedPrecondition:
    case ErrorCode::kAlreadyExists:
      return std::nullopt;
    default:
      return ErrorFor(env, status);
  }
}

int StatusFor(const Status& status) {
  return status.code() == ErrorCode::kFailedPrecondition || status.code() == ErrorCode::kAlreadyExists ? 409 : 422;
}

Response PostHandOut(Env& env) {
  const Lang lang = env.lang;
  if (!MayView(env)) return Forbidden(env);
  auto form = env.request.FormParams();
  if (!CsrfMatches(env.session->csrf_token, form)) return web::CsrfErrorPage(UserChrome(env, ""));
  Outcome outcome;
  outcome.municipality = FormValue(form, "municipality");
  const std::string barcode = TrimSpaces(FormValue(form, "card_barcode"));
  outcome.values["card_barcode"] = barcode;
  std::string digits;
  for (char c : barcode) {
    if (c != ' ' && c != '-') digits += c;
  }
  if (digits.size() != 32 || !std::all_of(digits.begin(), digits.end(), ::isdigit)) {
    outcome.status = 422;
    outcome.errors.push_back({"card_barcode", std::string(T(lang, "stock.err_barcode_format"))});
    return Render(env, outcome);
  }
  auto card = env.app.logistics.HandOut(ActorFor(env), digits);
  if (!card.ok()) {
    if (auto page = PageError(env, card.status())) return *page;
    const std::string& message = card.status().message();
    std::string text;
    if (card.status().code() == ErrorCode::kFailedPrecondition) {
      // "card_barcode: the card is not in stock (in_service)": name the status it has.
      size_t open = message.rfind('('), close = message.rfind(')');
      std::string now = open != std::string::npos && close > open ? message.substr(open + 1, close - open - 1) : "";
      text = Tf(lang, "stock.err_barcode_not_in_stock", {StatusLabel(lang, now)});
    } else if (message.find("annual") != std::string::npos) {
      text = T(lang, "stock.err_barcode_annual");
    } else if (message.find("municipality") != std::string::npos && message.find("stock") == std::string::npos) {
      text = T(lang, "stock.err_barcode_municipality");
    } else {
      text = T(lang, "stock.err_barcode_unknown");
    }
    outcome.status = StatusFor(card.status());
    outcome.errors.push_back({"card_barcode", text});
    return Render(env, outcome);
  }
  outcome.status = 201;
  outcome.values.clear();
  outcome.notice_html =
      web::RenderAlert(web::AlertKind::kSuccess, T(lang, "stock.hand_out_done"),
                       TextBlock(Tf(lang, "stock.hand_out_result",
                                    {cards::FormatCardNumber(card->card_number), TypeLabel(lang, card->card_type),
                                     std::to_string(card->valid_days)})));
  return Render(env, outcome);
}

Response PostReinitialise(Env& env) {
  const Lang lang = env.lang;
  if (!MayView(env)) return Forbidden(env);
  auto form = env.request.FormParams();
  if (!CsrfMatches(env.session->csrf_token, form)) return web::CsrfErrorPage(UserChrome(env, ""));
  Outcome outcome;
  outcome.municipality = FormValue(form, "municipality");
  const std::string entered = TrimSpaces(FormValue(form, "card_number"));
  outcome.values["card_number"] = entered;
  auto number = cards::NormalizeCardNumber(entered);
  if (!number) {
    outcome.status = 422;
    outcome.errors.push_back({"card_number", std::string(T(lang, "stock.err_number_format"))});
    return Render(env, outcome);
  }
  auto card = env.app.logistics.Reinitialise(ActorFor(env), *number);
  if (!card.ok()) {
    if (auto page = PageError(env, card.status())) return *page;
    const std::string& message = card.status().message();
    std::string key = "stock.err_reinit_unknown";
    if (card.status().code() == ErrorCode::kFailedPrecondition) {
      key = message.find("still linked") != std::string::npos ? "stock.err_reinit_linked"
            : message.find("99") != std::string::npos         ? "stock.err_reinit_worn"
                                                              : "stock.err_reinit_in_stock";
    }
    outcome.status = StatusFor(card.status());
    outcome.errors.push_back({"card_number", std::string(T(lang, key))});
    return Render(env, outcome);
  }
  outcome.values.clear();
  outcome.notice_html = web::RenderAlert(web::AlertKind::kSuccess, T(lang, "stock.reinit_done"),
                                         TextBlock(Tf(lang, "stock.reinit_result",
                                                      {cards::FormatCardNumber(card->card_number),
                                                       std::to_string(card->circulation_counter), card->barcode})));
  return Render(env, outcome);
}

Response PostImport(Env& env) {
  const Lang lang = env.lang;
  if (!MayImport(env)) return Forbidden(env);
  auto parts = env.request.MultipartParts();
  std::map<std::string, std::string> fields;
  const FormPart* file = nullptr;
  if (parts) {
    for (const FormPart& part : *parts) {
      if (part.name == "production_file") {
        if (!file) file = &part;
      } else {
        fields.try_emplace(part.name, part.data);
      }
    }
  }
  if (!CsrfMatches(env.session->csrf_token, fields)) return web::CsrfErrorPage(UserChrome(env, ""));
  Outcome outcome;
  outcome.municipality = FormValue(fields, "municipality");
  if (!file || file->data.empty()) {
    outcome.status = 422;
    outcome.errors.push_back({"production_file", std::string(T(lang, "stock.err_file_missing"))});
    return Render(env, outcome);
  }
  std::string file_name = file->file_name.empty() ? "upload.csv" : file->file_name.substr(0, 200);
  std::vector<guestcards::ProductionProblem> problems;
  auto imported = env.app.logistics.ImportProductionFile(ActorFor(env), file_name, file->data, problems);
  if (!imported.ok()) {
    if (problems.empty()) {
      if (imported.status().code() != ErrorCode::kPermissionDenied) {
        if (auto page = PageError(env, imported.status())) return *page;
      }
      // The file names a municipality the user does not administer.
      outcome.status = imported.status().code() == ErrorCode::kPermissionDenied ? 403 : StatusFor(imported.status());
      outcome.errors.push_back({"production_file", std::string(T(lang, "stock.err_file_municipality"))});
      return Render(env, outcome);
    }
    outcome.status = 422;
    for (const auto& p : problems) {
      std::string where = p.line <= 0        ? std::string(T(lang, "common.file"))
                          : p.column.empty() ? Tf(lang, "common.line", {std::to_string(p.line)})
                                             : Tf(lang, "common.line_column", {std::to_string(p.line), p.column});
      outcome.errors.push_back({"production_file", where + ": " + p.message});
    }
    // The field itself says what happened; the summary lists every problem.
    outcome.errors.insert(outcome.errors.begin(),
                          {"production_file", Tf(lang, "stock.err_file_problems", {std::to_string(problems.size())})});
    return Render(env, outcome);
  }
  std::string batches;
  for (const auto& b : imported->batches) batches += (batches.empty() ? "" : ", ") + b;
  outcome.status = 201;
  outcome.notice_html = web::RenderAlert(
      web::AlertKind::kSuccess, T(lang, "stock.import_done"),
      TextBlock(Tf(lang, "stock.import_result", {std::to_string(imported->cards), file_name, batches})));
  return Render(env, outcome);
}

}  // namespace

void RegisterCardStockPages(Router& router, AppContext& app) {
  router.Add("GET", "/card-stock", "web_card_stock", Protected(app, GetStock));
  router.Add("POST", "/card-stock/hand-out", "web_card_stock_hand_out", Protected(app, PostHandOut));
  router.Add("POST", "/card-stock/reinitialise", "web_card_stock_reinitialise", Protected(app, PostReinitialise));
  router.Add("POST", "/card-stock/import", "web_card_stock_import", Protected(app, PostImport));
}

}  // namespace passwerk::web
