// Staff web pages. Cards of the registry: look up, view, block, unblock, replace, renew, issue.
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
#include "web/areas.h"
#include "web/html.h"
#include "web/i18n.h"
#include "web/page_env.h"

namespace passwerk::web {
namespace {

Response RenderCards(Env& env, int status, const std::string& number, const std::string& error) {
  const Lang lang = env.lang;
  std::string body = Heading(T(lang, "cards.title"));
  if (!error.empty()) body += web::RenderErrorSummary(lang, {{"number", error}});
  body += Paragraph(T(lang, "cards.intro"));
  body += "<p class=\"pw-actions\">" + LinkButton("/cards/new", T(lang, "cards.issue"), true) + "</p>\n";
  body +=
      "<form class=\"pw-filter\" method=\"get\" action=\"/cards/lookup\" role=\"search\" "
      "aria-labelledby=\"lookup-heading\" novalidate><h2 class=\"kern-heading-small\" "
      "id=\"lookup-heading\">" +
      Escape(T(lang, "cards.lookup")) + "</h2>";
  web::InputField field;
  field.name = "number";
  field.label = T(lang, "cards.number");
  field.hint = T(lang, "cards.number_hint");
  field.value = number;
  field.error = error;
  field.autocomplete = "off";
  field.inputmode = "numeric";
  field.maxlength = 20;
  field.required = true;
  field.spellcheck_off = true;
  body += web::RenderInput(field);
  body += "<div class=\"pw-actions\">" + web::RenderButton(web::ButtonKind::kPrimary, T(lang, "cards.lookup_submit")) +
          "</div></form>\n";
  return web::HtmlPage(UserChrome(env, "cards"), status, T(lang, "cards.title"), body);
}

Response GetCards(Env& env) {
  if (!Can(env, accounts::Action::kReadCards)) return Forbidden(env);
  return RenderCards(env, 200, "", "");
}

Response GetCardLookup(Env& env) {
  const Lang lang = env.lang;
  if (!Can(env, accounts::Action::kReadCards)) return Forbidden(env);
  std::string raw = TrimSpaces(env.request.QueryParam("number").value_or(""));
  if (raw.empty()) return RenderCards(env, 422, raw, std::string(T(lang, "cards.err_number_missing")));
  std::optional<std::string> number = cards::NormalizeCardNumber(raw);
  if (!number) return RenderCards(env, 422, raw, std::string(T(lang, "cards.err_number")));
  return Response::Redirect("/cards/" + *number);
}

std::string EventDetail(const std::string& detail_json, Lang lang) {
  nlohmann::json detail = nlohmann::json::parse(detail_json, nullptr, false);
  if (detail.is_discarded() || !detail.is_object()) return detail_json;
  std::string out;
  for (auto it = detail.begin(); it != detail.end(); ++it) {
    std::string value = it.value().is_string() ? it.value().get<std::string>() : it.value().dump();
    const std::string& key = it.key();
    if (key == "valid_from" || key == "valid_until") value = ShowIsoDate(value, lang);
    if (key == "replaced_by" || key == "replaces") value = cards::FormatCardNumber(value);
    std::string label_key = "cardevent.field." + key;
    std::string label = web::HasText(label_key) ? std::string(T(lang, label_key)) : key;
    if (!out.empty()) out += "; ";
    out += label + ": " + value;
  }
  return out;
}

struct CardForms {
  std::vector<web::FieldError> errors;
  std::map<std::string, std::string> values;
  std::string notice_html;
};

std::string ReasonForm(Env& env, const std::string& number, std::string_view action, std::string_view heading_key,
                       std::string_view label_key, std::string_view hint_key, std::string_view button_key,
                       const CardForms& forms) {
  const Lang lang = env.lang;
  std::string field_name = std::string(action) + "_reason";
  std::string heading_id = "card-" + std::string(action) + "-heading";
  std::string html = "<section class=\"pw-card-action\" aria-labelledby=\"" + heading_id +
                     "\"><h3 class=\"kern-heading-small\" id=\"" + heading_id + "\">" + Escape(T(lang, heading_key)) +
                     "</h3>";
  html += "<form class=\"pw-form\" method=\"post\" action=\"/cards/" + number + "/" + std::string(action) +
          "\" novalidate>" + web::CsrfInput(env.session->csrf_token);
  web::InputField reason;
  reason.name = field_name;
  reason.label = T(lang, label_key);
  if (!hint_key.empty()) reason.hint = T(lang, hint_key);
  auto value = forms.values.find(field_name);
  if (value != forms.values.end()) reason.value = value->second;
  reason.error = MessageFor(forms.errors, field_name);
  reason.autocomplete = "off";
  reason.maxlength = 500;
  reason.required = true;
  html += web::RenderInput(reason);
  html += "<div class=\"pw-actions\">" + web::RenderButton(web::ButtonKind::kSecondary, T(lang, button_key)) +
          "</div></form></section>\n";
  return html;
}

Response RenderCard(Env& env, int status, const std::string& raw_number, const CardForms& forms) {
  const Lang lang = env.lang;
  std::optional<std::string> number = cards::NormalizeCardNumber(raw_number);
  if (!number) return RenderCards(env, 404, raw_number, std::string(T(lang, "cards.not_found")));
  // Decrypts the holder; the service records the view in the audit log.
  Result<cards::CardDetails> details = env.app.cards.GetCard(ActorFor(env), *number);
  if (!details.ok()) {
    if (details.status().code() == ErrorCode::kNotFound) {
      return RenderCards(env, 404, cards::FormatCardNumber(*number), std::string(T(lang, "cards.not_found")));
    }
    return ErrorFor(env, details.status());
  }
  const cards::Card& card = details->card;
  const cards::Holder& holder = details->holder;
  Result<cards::Scheme> scheme = env.app.cards.GetScheme(card.scheme_id);
  const std::string shown = cards::FormatCardNumber(card.card_number);

  std::string notice = forms.notice_html;
  if (notice.empty()) {
    std::string done = env.request.QueryParam("done").value_or("");
    if (done == "issued" || done == "blocked" || done == "unblocked" || done == "replaced" || done == "renewed") {
      notice = web::RenderAlert(web::AlertKind::kSuccess, T(lang, "cards.done_title"),
                                TextBlock(T(lang, "cards.done_" + done)));
    }
  }

  std::string body = Heading(Tf(lang, "card.title", {shown}));
  body += notice;
  body += web::RenderErrorSummary(lang, forms.errors);

  std::string state_html;
  switch (card.state) {
    case cards::CardState::kActive:
      state_html = Badge("success", T(lang, "card.state_active"));
      break;
    case cards::CardState::kBlocked:
      state_html = Badge("danger", T(lang, "card.state_blocked"));
      break;
    case cards::CardState::kReplaced:
      state_html = Badge("warning", T(lang, "card.state_replaced"));
      break;
  }
  if (!card.block_reason.empty()) {
    state_html +=
        " <span class=\"pw-state-reason\">" + Escape(Tf(lang, "card.reason", {card.block_reason})) + "</span>";
  }
  body +=
      "<section class=\"pw-section\" aria-labelledby=\"card-heading\"><h2 "
      "class=\"kern-heading-medium\" id=\"card-heading\">" +
      Escape(T(lang, "card.data")) + "</h2><dl class=\"kern-description-list\" id=\"card-data\">";
  body += DescriptionItem(T(lang, "card.number"), shown);
  body += DescriptionItem(T(lang, "card.scheme"), scheme.ok() ? scheme->name : std::string());
  body += DescriptionItemHtml(T(lang, "card.state"), state_html);
  if (!card.replaced_by.empty()) {
    body += DescriptionItemHtml(T(lang, "card.replaced_by"),
                                "<a class=\"kern-link\" href=\"/cards/" + Escape(card.replaced_by) + "\">" +
                                    Escape(cards::FormatCardNumber(card.replaced_by)) + "</a>");
  }
  body += DescriptionItem(
      T(lang, "card.validity"),
      Tf(lang, "card.validity_range", {ShowDate(card.valid_from, lang), ShowDate(card.valid_until, lang)}));
  body += DescriptionItem(T(lang, "card.discount_class"), card.discount_class);
  body += "</dl></section>\n";

  body +=
      "<section class=\"pw-section\" aria-labelledby=\"holder-heading\"><h2 "
      "class=\"kern-heading-medium\" id=\"holder-heading\">" +
      Escape(T(lang, "card.holder")) + "</h2><dl class=\"kern-description-list\">";
  body += DescriptionItem(T(lang, "card.family_name"), holder.family_name);
  body += DescriptionItem(T(lang, "card.given_name"), holder.given_name);
  body += DescriptionItem(T(lang, "card.birth_date"), ShowIsoDate(holder.birth_date, lang));
  if (!holder.street.empty()) body += DescriptionItem(T(lang, "card.street"), holder.street);
  if (!holder.postal_code.empty() || !holder.city.empty()) {
    body += DescriptionItem(T(lang, "card.place"), TrimSpaces(holder.postal_code + " " + holder.city));
  }
  body += "</dl></section>\n";

  if (card.state != cards::CardState::kReplaced) {
    body +=
        "<section class=\"pw-section\" aria-labelledby=\"actions-heading\"><h2 "
        "class=\"kern-heading-medium\" id=\"actions-heading\">" +
        Escape(T(lang, "card.actions")) + "</h2><div class=\"pw-card-actions\">";
    if (card.state == cards::CardState::kActive) {
      body += ReasonForm(env, card.card_number, "block", "card.block_heading", "card.block_reason", "card.block_hint",
                         "card.block", forms);
    } else {
      body += ReasonForm(env, card.card_number, "unblock", "card.unblock_heading", "card.unblock_reason", "",
                         "card.unblock", forms);
    }
    body += ReasonForm(env, card.card_number, "replace", "card.replace_heading", "card.replace_reason",
                       "card.replace_hint", "card.replace", forms);
    if (scheme.ok() && scheme->rule != cards::ValidityRule::kFixed) {
      body +=
          "<section class=\"pw-card-action\" aria-labelledby=\"card-renew-heading\"><h3 "
          "class=\"kern-heading-small\" id=\"card-renew-heading\">" +
          Escape(T(lang, "card.renew_heading")) + "</h3>" + TextBlock(T(lang, "card.renew_text")) +
          "<form class=\"pw-form\" method=\"post\" action=\"/cards/" + card.card_number + "/renew\">" +
          web::CsrfInput(env.session->csrf_token) + "<div class=\"pw-actions\">" +
          web::RenderButton(web::ButtonKind::kSecondary, T(lang, "card.renew")) + "</div></form></section>\n";
    }
    body += "</div></section>\n";
  }

  body +=
      "<section class=\"pw-section\" aria-labelledby=\"history-caption\">"
      "<div class=\"kern-table-responsive pw-table-wrap\" role=\"region\" "
      "aria-labelledby=\"history-caption\" tabindex=\"0\"><table class=\"kern-table "
      "kern-table--small kern-table--striped\"><caption class=\"kern-title\" "
      "id=\"history-caption\">" +
      Escape(T(lang, "card.history")) + "</caption><thead><tr class=\"kern-table__row\">";
  for (std::string_view key : {"card.col_time", "card.col_event", "card.col_detail", "card.col_actor"}) {
    body += "<th scope=\"col\" class=\"kern-table__header\">" + Escape(T(lang, key)) + "</th>";
  }
  body += "</tr></thead><tbody class=\"kern-table__body\">";
  for (const cards::CardEvent& e : details->history) {
    std::string event_key = "cardevent." + e.kind;
    std::string event = web::HasText(event_key) ? std::string(T(lang, event_key)) : e.kind;
    body +=
        "<tr class=\"kern-table__row\"><th scope=\"row\" class=\"kern-table__header "
        "pw-nowrap\"><time datetime=\"" +
        Escape(FormatUtc(e.at)) + "\">" + Escape(web::FormatBerlinTime(e.at, lang)) +
        "</time></th><td class=\"kern-table__cell\">" + Escape(event) + "</td><td class=\"kern-table__cell\">" +
        Escape(EventDetail(e.detail, lang)) + "</td><td class=\"kern-table__cell\">" + Escape(e.actor) + "</td></tr>";
  }
  body += "</tbody></table></div></section>\n";
  body +=
      "<p class=\"kern-body\"><a class=\"kern-link\" href=\"/cards\">" + Escape(T(lang, "card.back")) + "</a></p>\n";
  return web::HtmlPage(UserChrome(env, "cards"), status, Tf(lang, "card.title", {shown}), body);
}

Response GetCardPage(Env& env) {
  if (!Can(env, accounts::Action::kReadCards)) return Forbidden(env);
  return RenderCard(env, 200, env.request.path_params["number"], {});
}

Response PostCardAction(Env& env, cards::CardAction card_action) {
  const Lang lang = env.lang;
  if (!Can(env, accounts::Action::kReadCards)) return Forbidden(env);
  auto form = env.request.FormParams();
  if (!CsrfMatches(env.session->csrf_token, form)) return web::CsrfErrorPage(UserChrome(env, ""));
  std::optional<std::string> number = cards::NormalizeCardNumber(env.request.path_params["number"]);
  if (!number) return web::ErrorPage(UserChrome(env, ""), 404);
  const std::string action(cards::CardActionName(card_action));
  const std::string field = action + "_reason";
  const std::string reason = TrimSpaces(FormValue(form, field));
  CardForms forms;
  forms.values[field] = reason;
  Result<cards::Card> card = env.app.cards.Apply(ActorFor(env), *number, card_action, reason);
  Status status = card.status();
  const std::string target = card.ok() ? card->card_number : *number;
  // "blocked", "unblocked", "replaced", "renewed": the confirmation shown after the redirect.
  const std::string done = action + (action.back() == 'e' ? "d" : "ed");
  if (status.ok()) return Response::Redirect("/cards/" + target + "?done=" + done);
  switch (status.code()) {
    case ErrorCode::kNotFound:
      return RenderCards(env, 404, cards::FormatCardNumber(*number), std::string(T(lang, "cards.not_found")));
    case ErrorCode::kPermissionDenied:
      return Forbidden(env);
    case ErrorCode::kInvalidArgument:
      forms.errors.push_back({field, std::string(T(lang, "card.err_reason"))});
      return RenderCard(env, 422, *number, forms);
    case ErrorCode::kFailedPrecondition:
      forms.notice_html = web::RenderAlert(web::AlertKind::kDanger, T(lang, "card.action_failed"),
                                           TextBlock(T(lang, "card.err_state_" + action)));
      return RenderCard(env, 409, *number, forms);
    default:
      return ErrorFor(env, status);
  }
}

// --- issuing a card ---

constexpr std::string_view kNewCardFields[] = {"scheme",      "family_name", "given_name",     "birth_date", "street",
                                               "postal_code", "city",        "discount_class", "valid_from"};

Response RenderNewCard(Env& env, int status, const std::map<std::string, std::string>& values,
                       const std::vector<web::FieldError>& errors) {
  const Lang lang = env.lang;
  auto value = [&](const std::string& name) {
    auto it = values.find(name);
    return it == values.end() ? std::string() : it->second;
  };
  std::vector<cards::Scheme> schemes = VisibleSchemes(env);
  std::string body = Heading(T(lang, "newcard.title"));
  body += web::RenderErrorSummary(lang, errors);
  if (schemes.empty()) {
    body += web::RenderAlert(web::AlertKind::kInfo, T(lang, "newcard.no_schemes"), "", false);
    return web::HtmlPage(UserChrome(env, "cards"), status, T(lang, "newcard.title"), body);
  }
  body += Paragraph(T(lang, "newcard.intro"));
  body += "<form class=\"pw-form\" method=\"post\" action=\"/cards\" novalidate>\n";
  body += web::CsrfInput(env.session->csrf_token);

  web::SelectField scheme;
  scheme.name = "scheme";
  scheme.label = T(lang, "newcard.scheme");
  scheme.error = MessageFor(errors, "scheme");
  scheme.required = true;
  web::SelectGroup scheme_options;
  if (schemes.size() > 1) {
    scheme_options.options.push_back({"", std::string(T(lang, "newcard.choose")), value("scheme").empty()});
  }
  for (const cards::Scheme& s : schemes) {
    std::string id = std::to_string(s.id);
    scheme_options.options.push_back({id, s.name, value("scheme") == id});
  }
  scheme.groups.push_back(std::move(scheme_options));
  body += web::RenderSelect(scheme);

  auto text = [&](const std::string& name, std::string_view label_key, std::string_view hint_key, int maxlength,
                  bool required, std::string type = "text") {
    web::InputField field;
    field.name = name;
    field.label = T(lang, label_key);
    if (!hint_key.empty()) field.hint = T(lang, hint_key);
    field.value = value(name);
    field.error = MessageFor(errors, name);
    field.type = std::move(type);
    field.autocomplete = "off";
    field.maxlength = maxlength;
    field.required = required;
    return field;
  };
  body += web::RenderInput(text("family_name", "newcard.family_name", "", 100, true));
  body += web::RenderInput(text("given_name", "newcard.given_name", "", 100, true));
  body += web::RenderInput(text("birth_date", "newcard.birth_date", "newcard.date_hint", 0, true, "date"));
  body += web::RenderInput(text("street", "newcard.street", "newcard.optional", 200, false));
  web::InputField postal = text("postal_code", "newcard.postal_code", "newcard.postal_hint", 5, false);
  postal.inputmode = "numeric";
  postal.pattern = "[0-9]*";
  body += web::RenderInput(postal);
  body += web::RenderInput(text("city", "newcard.city", "newcard.optional", 100, false));

  web::SelectField discount;
  discount.name = "discount_class";
  discount.label = T(lang, "newcard.discount_class");
  discount.hint = T(lang, "newcard.discount_hint");
  discount.error = MessageFor(errors, "discount_class");
  web::SelectGroup discount_options;
  discount_options.options.push_back(
      {"", std::string(T(lang, "newcard.discount_default")), value("discount_class").empty()});
  std::vector<std::string> classes;
  for (const cards::Scheme& s : schemes) {
    for (const std::string& c : s.discount_classes) {
      if (std::find(classes.begin(), classes.end(), c) == classes.end()) classes.push_back(c);
    }
  }
  for (const std::string& c : classes) {
    discount_options.options.push_back({c, c, value("discount_class") == c});
  }
  discount.groups.push_back(std::move(discount_options));
  body += web::RenderSelect(discount);
  body += web::RenderInput(text("valid_from", "newcard.valid_from", "newcard.valid_from_hint", 0, false, "date"));

  body += "<div class=\"pw-actions\">" + web::RenderButton(web::ButtonKind::kPrimary, T(lang, "newcard.submit")) +
          LinkButton("/cards", T(lang, "common.cancel"), false) + "</div>\n</form>\n";
  return web::HtmlPage(UserChrome(env, "cards"), status, T(lang, "newcard.title"), body);
}

Response GetNewCard(Env& env) {
  if (!Can(env, accounts::Action::kReadCards)) return Forbidden(env);
  return RenderNewCard(env, 200, {}, {});
}

// The form field a service error names ("holder.family_name" → "family_name").
web::FieldError CardFieldError(Lang lang, const Status& status) {
  std::string field = status.field();
  if (field.rfind("holder.", 0) == 0) field = field.substr(7);
  static const std::map<std::string, std::string_view> kMessages = {{"scheme", "newcard.err_scheme"},
                                                                    {"family_name", "newcard.err_family_name"},
                                                                    {"given_name", "newcard.err_given_name"},
                                                                    {"birth_date", "newcard.err_birth_date"},
                                                                    {"street", "newcard.err_street"},
                                                                    {"postal_code", "newcard.err_postal_code"},
                                                                    {"city", "newcard.err_city"},
                                                                    {"discount_class", "newcard.err_discount_class"},
                                                                    {"valid_from", "newcard.err_valid_from"}};
  auto it = kMessages.find(field);
  if (it != kMessages.end()) return {field, std::string(T(lang, it->second))};
  if (status.code() == ErrorCode::kPermissionDenied) return {"", std::string(T(lang, "error.403_text"))};
  if (status.code() == ErrorCode::kAlreadyExists) return {"", std::string(T(lang, "newcard.err_taken"))};
  return {"", status.message()};
}

Response PostCards(Env& env) {
  const Lang lang = env.lang;
  if (!Can(env, accounts::Action::kReadCards)) return Forbidden(env);
  auto form = env.request.FormParams();
  if (!CsrfMatches(env.session->csrf_token, form)) return web::CsrfErrorPage(UserChrome(env, ""));
  std::map<std::string, std::string> values;
  for (std::string_view name : kNewCardFields) {
    values[std::string(name)] = TrimSpaces(FormValue(form, std::string(name)));
  }
  std::vector<web::FieldError> errors;
  auto fail = [&](const std::string& field) {
    errors.push_back({field, std::string(T(lang, "newcard.err_" + field))});
  };
  cards::NewCard input;
  std::optional<int64_t> scheme_id = ParseId(values["scheme"]);
  bool scheme_ok = false;
  if (scheme_id) {
    for (const cards::Scheme& s : VisibleSchemes(env)) scheme_ok = scheme_ok || s.id == *scheme_id;
  }
  if (scheme_ok) {
    input.scheme_id = *scheme_id;
  } else {
    fail("scheme");
  }
  input.holder.family_name = values["family_name"];
  input.holder.given_name = values["given_name"];
  input.holder.birth_date = values["birth_date"];
  input.holder.street = values["street"];
  input.holder.postal_code = values["postal_code"];
  input.holder.city = values["city"];
  input.discount_class = values["discount_class"];
  if (input.holder.family_name.empty()) fail("family_name");
  if (input.holder.given_name.empty()) fail("given_name");
  if (!ParseIsoDate(input.holder.birth_date)) fail("birth_date");
  if (!values["valid_from"].empty()) {
    input.valid_from = ParseIsoDate(values["valid_from"]);
    if (!input.valid_from) fail("valid_from");
  }
  if (!errors.empty()) return RenderNewCard(env, 422, values, errors);

  Result<cards::Card> card = env.app.cards.IssueCard(ActorFor(env), input);
  if (!card.ok()) {
    ErrorCode code = card.status().code();
    if (code != ErrorCode::kInvalidArgument && code != ErrorCode::kAlreadyExists &&
        code != ErrorCode::kPermissionDenied && code != ErrorCode::kFailedPrecondition) {
      return ErrorFor(env, card.status());
    }
    return RenderNewCard(env, code == ErrorCode::kAlreadyExists ? 409 : 422, values,
                         {CardFieldError(lang, card.status())});
  }
  return Response::Redirect("/cards/" + card->card_number + "?done=issued");
}

}  // namespace

void RegisterCardPages(Router& router, AppContext& app) {
  router.Add("GET", "/cards", "web_cards", Protected(app, GetCards));
  router.Add("GET", "/cards/lookup", "web_card_lookup", Protected(app, GetCardLookup));
  router.Add("GET", "/cards/new", "web_card_new", Protected(app, GetNewCard));
  router.Add("POST", "/cards", "web_card_issue", Protected(app, PostCards));
  router.Add("GET", "/cards/{number}", "web_card", Protected(app, GetCardPage));
  for (cards::CardAction action : cards::kCardActions) {
    const std::string name(cards::CardActionName(action));
    router.Add("POST", "/cards/{number}/" + name, "web_card_" + name,
               Protected(app, [action](Env& env) { return PostCardAction(env, action); }));
  }
}

}  // namespace passwerk::web
