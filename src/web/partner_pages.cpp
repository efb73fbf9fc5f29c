// Staff web pages. Partners of the partner check, their keys, and the alerts of the enumeration defence.
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

#include "cards/cards.h"
#include "checks/check_service.h"
#include "checks/partners.h"
#include "core/dates.h"
#include "web/areas.h"
#include "web/html.h"
#include "web/i18n.h"
#include "web/page_env.h"

namespace passwerk::web {
namespace {

// --- alerts of the enumeration defence ---

struct ShownAlert {
  checks::Alert alert;
  std::string partner;  // name, may be empty
  std::string key_prefix;
};

// Open alerts this user may see: the operator all, a municipality
// administrator those raised by partners of their municipality.
std::vector<ShownAlert> VisibleAlerts(Env& env) {
  std::vector<ShownAlert> out;
  if (!Can(env, accounts::Action::kManagePartners)) return out;
  Result<std::vector<checks::Alert>> alerts = env.app.checks.OpenAlerts();
  if (!alerts.ok()) return out;
  std::map<int64_t, checks::Partner> partners;
  if (auto list = env.app.partners.ListPartners(); list.ok()) {
    for (checks::Partner& p : *list) partners[p.id] = std::move(p);
  }
  for (const checks::Alert& a : *alerts) {
    ShownAlert shown{a, "", ""};
    nlohmann::json detail = nlohmann::json::parse(a.detail, nullptr, false);
    std::optional<int64_t> partner_id;
    if (detail.is_object() && detail.contains("partner_id") && detail["partner_id"].is_number_integer()) {
      partner_id = detail["partner_id"].get<int64_t>();
    }
    auto partner = partner_id ? partners.find(*partner_id) : partners.end();
    if (partner != partners.end()) {
      if (!CanIn(env, accounts::Action::kManagePartners, partner->second.municipality_id)) continue;
      shown.partner = partner->second.name;
      if (a.subject.rfind("partner_key:", 0) == 0) {
        std::optional<int64_t> key_id = ParseId(std::string_view(a.subject).substr(12));
        if (auto keys = env.app.partners.ListKeys(partner->second.id); keys.ok() && key_id) {
          for (const checks::PartnerKey& k : *keys) {
            if (k.id == *key_id) shown.key_prefix = k.prefix;
          }
        }
      }
    } else if (accounts::OnlyMunicipality(ActorFor(env), accounts::Action::kManagePartners)) {
      continue;  // alerts of no partner are for those who see every municipality
    }
    out.push_back(std::move(shown));
  }
  return out;
}

}  // namespace

std::string AlertsSection(Env& env) {
  const Lang lang = env.lang;
  if (!Can(env, accounts::Action::kManagePartners)) return "";
  std::vector<ShownAlert> alerts = VisibleAlerts(env);
  std::string html =
      "<section class=\"pw-section\" aria-labelledby=\"alerts-heading\"><h2 "
      "class=\"kern-heading-medium\" id=\"alerts-heading\">" +
      Escape(T(lang, "alerts.title")) + "</h2>";
  if (alerts.empty()) {
    html += "<p class=\"kern-body pw-empty\">" + Escape(T(lang, "alerts.none")) + "</p></section>\n";
    return html;
  }
  html += "<ul class=\"pw-alerts\">";
  for (const ShownAlert& shown : alerts) {
    const checks::Alert& a = shown.alert;
    std::string kind_key = "alerts.kind_" + a.kind;
    std::string title = web::HasText(kind_key) ? std::string(T(lang, kind_key)) : a.kind;
    std::string when = web::FormatBerlinTime(a.at, lang);
    std::string partner = shown.partner.empty() ? std::string(T(lang, "alerts.unknown_partner")) : shown.partner;
    std::string text;
    if (a.kind == "card_locked") {
      text = Tf(lang, "alerts.card_locked_text", {partner});
    } else if (a.kind == "key_suspended") {
      text = Tf(lang, "alerts.key_suspended_text", {shown.key_prefix, partner});
    } else {
      text = a.detail;
    }
    std::string body =
        "<p class=\"kern-body\"><time datetime=\"" + Escape(FormatUtc(a.at)) + "\">" + Escape(when) + "</time></p>" +
        TextBlock(text) + "<form class=\"pw-inline-form\" method=\"post\" action=\"/alerts/" + std::to_string(a.id) +
        "/acknowledge\">" + web::CsrfInput(env.session->csrf_token) +
        web::RenderButton(web::ButtonKind::kSecondary, T(lang, "alerts.acknowledge"),
                          "aria-label=\"" + Escape(Tf(lang, "alerts.acknowledge_named", {title, when})) + "\"") +
        "</form>";
    html += "<li id=\"alert-" + std::to_string(a.id) + "\">" +
            web::RenderAlert(web::AlertKind::kWarning, title, body, false) + "</li>";
  }
  html += "</ul></section>\n";
  return html;
}

namespace {

Response PostAcknowledgeAlert(Env& env) {
  if (!Can(env, accounts::Action::kManagePartners)) return Forbidden(env);
  auto form = env.request.FormParams();
  if (!CsrfMatches(env.session->csrf_token, form)) return web::CsrfErrorPage(UserChrome(env, ""));
  std::optional<int64_t> id = ParseId(env.request.path_params["id"]);
  if (!id) return web::ErrorPage(UserChrome(env, ""), 404);
  bool visible = false;
  for (const ShownAlert& a : VisibleAlerts(env)) visible = visible || a.alert.id == *id;
  if (!visible) return web::ErrorPage(UserChrome(env, ""), 404);
  accounts::Actor actor = ActorFor(env);
  Status status = env.app.checks.AcknowledgeAlert(*id, actor.id, env.request.request_id);
  if (!status.ok()) return ErrorFor(env, status);
  return Response::Redirect("/dashboard?acknowledged=1");
}

// --- partners ---

struct PartnerForm {
  std::string name;
  std::string origins;
  std::vector<int64_t> scheme_ids;
};

std::string KeyKindLabel(Lang lang, const std::string& kind) {
  return std::string(T(lang, kind == "publishable" ? "partners.kind_publishable" : "partners.kind_server"));
}

Response RenderPartners(Env& env, int status, std::string notice_html, const PartnerForm& values,
                        const std::vector<web::FieldError>& errors) {
  const Lang lang = env.lang;
  Result<std::vector<checks::Partner>> all = env.app.partners.ListPartners();
  if (!all.ok()) return ErrorFor(env, all.status());
  std::map<int64_t, std::string> scheme_names;
  if (auto schemes = env.app.cards.ListSchemes(); schemes.ok()) {
    for (const cards::Scheme& s : *schemes) scheme_names[s.id] = s.name;
  }
  if (notice_html.empty()) {
    static const std::pair<const char*, const char*> kNotices[] = {
        {"created", "partners.created"}, {"revoked", "partners.revoked"}, {"reinstated", "partners.reinstated"}};
    for (const auto& [param, key] : kNotices) {
      if (env.request.QueryParam(param)) {
        notice_html =
            web::RenderAlert(web::AlertKind::kSuccess, T(lang, "partners.done_title"), TextBlock(T(lang, key)));
        break;
      }
    }
  }

  std::string body = Heading(T(lang, "partners.title"));
  body += notice_html;
  body += web::RenderErrorSummary(lang, errors);
  body += Paragraph(T(lang, "partners.intro"));

  int shown = 0;
  for (const checks::Partner& p : *all) {
    if (!CanIn(env, accounts::Action::kManagePartners, p.municipality_id)) continue;
    ++shown;
    const std::string pid = std::to_string(p.id);
    body += "<section class=\"pw-section pw-partner\" aria-labelledby=\"partner-" + pid + "-heading\" id=\"partner-" +
            pid + "\"><h2 class=\"kern-heading-medium\" id=\"partner-" + pid + "-heading\">" + Escape(p.name) +
            "</h2><dl class=\"kern-description-list\">";
    std::string schemes;
    for (int64_t id : p.scheme_ids) {
      auto it = scheme_names.find(id);
      if (!schemes.empty()) schemes += ", ";
      schemes += it != scheme_names.end() ? it->second : std::to_string(id);
    }
    body += DescriptionItem(T(lang, "partners.schemes"), schemes);
    std::string origins;
    for (const std::string& o : p.origins) origins += (origins.empty() ? "" : ", ") + o;
    body +=
        DescriptionItem(T(lang, "partners.origins"), origins.empty() ? std::string(T(lang, "common.none")) : origins);
    body += "</dl>";

    Result<std::vector<checks::PartnerKey>> keys = env.app.partners.ListKeys(p.id);
    if (!keys.ok()) return ErrorFor(env, keys.status());
    if (keys->empty()) {
      body += TextBlock(T(lang, "partners.no_keys"));
    } else {
      const std::string caption_id = "partner-" + pid + "-keys";
      body += "<div class=\"kern-table-responsive pw-table-wrap\" role=\"region\" aria-labelledby=\"" + caption_id +
              "\" tabindex=\"0\"><table class=\"kern-table kern-table--small "
              "kern-table--striped\"><caption class=\"kern-title\" id=\"" +
              caption_id + "\">" + Escape(Tf(lang, "partners.keys_caption", {p.name})) +
              "</caption><thead><tr class=\"kern-table__row\">";
      for (std::string_view key : {"partners.col_prefix", "partners.col_kind", "partners.col_created",
                                   "partners.col_status", "partners.col_action"}) {
        body += "<th scope=\"col\" class=\"kern-table__header\">" + Escape(T(lang, key)) + "</th>";
      }
      body += "</tr></thead><tbody class=\"kern-table__body\">";
      for (const checks::PartnerKey& k : *keys) {
        const std::string kid = std::to_string(k.id);
        std::string state;
        if (k.revoked_at) {
          state = Badge("danger", T(lang, "partners.key_revoked")) + " " +
                  Escape(web::FormatBerlinTime(*k.revoked_at, lang));
        } else if (k.suspended_at) {
          state = Badge("warning", T(lang, "partners.key_suspended")) + " " +
                  Escape(web::FormatBerlinTime(*k.suspended_at, lang));
        } else {
          state = Badge("success", T(lang, "partners.key_active"));
        }
        body += "<tr class=\"kern-table__row\" id=\"key-" + kid +
                "\"><th scope=\"row\" "
                "class=\"kern-table__header\"><code>" +
                Escape(k.prefix) +
                "</code></th>"
                "<td class=\"kern-table__cell\">" +
                Escape(KeyKindLabel(lang, k.kind)) + "</td><td class=\"kern-table__cell pw-nowrap\">" +
                Escape(web::FormatBerlinTime(k.created_at, lang)) + "</td><td class=\"kern-table__cell\">" + state +
                "</td><td class=\"kern-table__cell kern-table__cell--action\">";
        if (!k.revoked_at) {
          if (k.suspended_at) {
            body +=
                "<form class=\"pw-inline-form\" method=\"post\" action=\"/partner-keys/" + kid + "/reinstate\">" +
                web::CsrfInput(env.session->csrf_token) +
                web::RenderButton(web::ButtonKind::kSecondary, T(lang, "partners.reinstate"),
                                  "aria-label=\"" + Escape(Tf(lang, "partners.reinstate_named", {k.prefix})) + "\"") +
                "</form> ";
          }
          body += "<form class=\"pw-inline-form\" method=\"post\" action=\"/partner-keys/" + kid + "/revoke\">" +
                  web::CsrfInput(env.session->csrf_token) +
                  web::RenderButton(web::ButtonKind::kSecondary, T(lang, "partners.revoke"),
                                    "aria-label=\"" + Escape(Tf(lang, "partners.revoke_named", {k.prefix})) + "\"") +
                  "</form>";
        }
        body += "</td></tr>";
      }
      body += "</tbody></table></div>";
    }
    body += "<div class=\"pw-actions\">";
    for (const char* kind : {"server", "publishable"}) {
      std::string label_key = std::string("partners.create_") + kind;
      body += "<form class=\"pw-inline-form\" method=\"post\" action=\"/partners/" + pid + "/keys\">" +
              web::CsrfInput(env.session->csrf_token) + "<input type=\"hidden\" name=\"kind\" value=\"" + kind + "\">" +
              web::RenderButton(web::ButtonKind::kSecondary, T(lang, label_key),
                                "aria-label=\"" + Escape(Tf(lang, label_key + "_named", {p.name})) + "\"") +
              "</form>";
    }
    body += "</div></section>\n";
  }
  if (shown == 0) body += "<p class=\"kern-body pw-empty\">" + Escape(T(lang, "partners.empty")) + "</p>\n";

  // Adding a partner.
  std::vector<cards::Scheme> schemes = VisibleSchemes(env);
  body +=
      "<section class=\"pw-section\" aria-labelledby=\"new-partner-heading\"><h2 "
      "class=\"kern-heading-medium\" id=\"new-partner-heading\">" +
      Escape(T(lang, "partners.new")) + "</h2>";
  if (schemes.empty()) {
    body += TextBlock(T(lang, "partners.no_schemes")) + "</section>\n";
    return web::HtmlPage(UserChrome(env, "partners"), status, T(lang, "partners.title"), body);
  }
  body += "<form class=\"pw-form\" method=\"post\" action=\"/partners\" novalidate>" +
          web::CsrfInput(env.session->csrf_token);
  web::InputField name;
  name.name = "name";
  name.label = T(lang, "partners.name");
  name.value = values.name;
  name.error = MessageFor(errors, "name");
  name.autocomplete = "off";
  name.maxlength = 200;
  name.required = true;
  body += web::RenderInput(name);
  web::CheckboxGroup boxes;
  boxes.name = "schemes";
  boxes.legend = T(lang, "partners.schemes_legend");
  boxes.error = MessageFor(errors, "schemes");
  for (const cards::Scheme& s : schemes) {
    bool checked = std::find(values.scheme_ids.begin(), values.scheme_ids.end(), s.id) != values.scheme_ids.end();
    boxes.options.push_back({"scheme_" + std::to_string(s.id), s.name, checked});
  }
  body += web::RenderCheckboxes(boxes);
  web::TextareaField origins;
  origins.name = "origins";
  origins.label = T(lang, "partners.origins_label");
  origins.hint = T(lang, "partners.origins_hint");
  origins.value = values.origins;
  origins.error = MessageFor(errors, "origins");
  origins.maxlength = 4000;
  origins.spellcheck_off = true;
  body += web::RenderTextarea(origins);
  body += "<div class=\"pw-actions\">" + web::RenderButton(web::ButtonKind::kPrimary, T(lang, "partners.submit")) +
          "</div></form></section>\n";
  return web::HtmlPage(UserChrome(env, "partners"), status, T(lang, "partners.title"), body);
}

Response GetPartners(Env& env) {
  if (!Can(env, accounts::Action::kManagePartners)) return Forbidden(env);
  return RenderPartners(env, 200, "", {}, {});
}

Response PostPartners(Env& env) {
  const Lang lang = env.lang;
  if (!Can(env, accounts::Action::kManagePartners)) return Forbidden(env);
  auto form = env.request.FormParams();
  if (!CsrfMatches(env.session->csrf_token, form)) return web::CsrfErrorPage(UserChrome(env, ""));
  PartnerForm values;
  values.name = TrimSpaces(FormValue(form, "name"));
  values.origins = FormValue(form, "origins");
  std::vector<cards::Scheme> schemes = VisibleSchemes(env);
  std::optional<int64_t> municipality = accounts::OnlyMunicipality(ActorFor(env), accounts::Action::kManagePartners);
  std::vector<web::FieldError> errors;
  bool mixed = false;
  for (const cards::Scheme& s : schemes) {
    if (FormValue(form, "scheme_" + std::to_string(s.id)).empty()) continue;
    values.scheme_ids.push_back(s.id);
    if (!municipality) municipality = s.municipality_id;
    mixed = mixed || *municipality != s.municipality_id;
  }
  std::vector<std::string> origins;
  bool origins_ok = true;
  std::string_view rest = values.origins;
  while (!rest.empty()) {
    size_t nl = rest.find('\n');
    std::string line = TrimSpaces(rest.substr(0, nl));
    rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
    if (line.empty()) continue;
    if (line.size() > 1 && line.back() == '/') line.pop_back();
    if (!checks::IsValidOrigin(line)) origins_ok = false;
    origins.push_back(line);
  }
  if (values.name.empty() || values.name.size() > 200) {
    errors.push_back({"name", std::string(T(lang, "partners.err_name"))});
  }
  if (values.scheme_ids.empty()) {
    errors.push_back({"schemes", std::string(T(lang, "partners.err_schemes"))});
  } else if (mixed) {
    errors.push_back({"schemes", std::string(T(lang, "partners.err_schemes_municipality"))});
  }
  if (!origins_ok) errors.push_back({"origins", std::string(T(lang, "partners.err_origins"))});
  if (!errors.empty() || !municipality) {
    if (errors.empty()) errors.push_back({"", std::string(T(lang, "error.403_text"))});
    return RenderPartners(env, 422, "", values, errors);
  }
  Result<checks::Partner> partner =
      env.app.partners.CreatePartner(ActorFor(env), *municipality, values.name, values.scheme_ids, origins);
  if (!partner.ok()) {
    const Status& s = partner.status();
    if (s.code() == ErrorCode::kPermissionDenied) return Forbidden(env);
    if (s.code() != ErrorCode::kInvalidArgument && s.code() != ErrorCode::kAlreadyExists) {
      return ErrorFor(env, s);
    }
    std::string field = s.field();
    web::FieldError error{"", s.message()};
    if (field == "name" || field == "schemes" || field == "origins") {
      error = {field, std::string(T(lang, "partners.err_" + field))};
    } else if (s.code() == ErrorCode::kAlreadyExists) {
      error = {"name", std::string(T(lang, "partners.err_name_taken"))};
    }
    return RenderPartners(env, s.code() == ErrorCode::kAlreadyExists ? 409 : 422, "", values, {error});
  }
  return Response::Redirect("/partners?created=" + std::to_string(partner->id));
}

Response PostPartnerKey(Env& env) {
  const Lang lang = env.lang;
  if (!Can(env, accounts::Action::kManagePartners)) return Forbidden(env);
  auto form = env.request.FormParams();
  if (!CsrfMatches(env.session->csrf_token, form)) return web::CsrfErrorPage(UserChrome(env, ""));
  std::optional<int64_t> id = ParseId(env.request.path_params["id"]);
  std::string kind = FormValue(form, "kind");
  if (!id || (kind != "server" && kind != "publishable")) return web::ErrorPage(UserChrome(env, ""), 404);
  std::string partner_name;
  if (auto list = env.app.partners.ListPartners(); list.ok()) {
    for (const checks::Partner& p : *list) {
      if (p.id == *id && CanIn(env, accounts::Action::kManagePartners, p.municipality_id)) partner_name = p.name;
    }
  }
  if (partner_name.empty()) return web::ErrorPage(UserChrome(env, ""), 404);
  Result<checks::CreatedPartnerKey> created = env.app.partners.CreateKey(ActorFor(env), *id, kind);
  if (!created.ok()) {
    if (created.status().code() == ErrorCode::kPermissionDenied) return Forbidden(env);
    return ErrorFor(env, created.status());
  }
  std::string body = Heading(T(lang, "newkey.title"));
  body +=
      web::RenderAlert(web::AlertKind::kWarning, T(lang, "newkey.once_title"), TextBlock(T(lang, "newkey.once_text")));
  body += "<dl class=\"kern-description-list\">";
  body += DescriptionItem(T(lang, "newkey.partner"), partner_name);
  body += DescriptionItem(T(lang, "partners.col_kind"), KeyKindLabel(lang, kind));
  body += DescriptionItem(T(lang, "partners.col_prefix"), created->key.prefix);
  body += "</dl>";
  body += "<h2 class=\"kern-heading-small pw-secret-heading\">" + Escape(T(lang, "newkey.secret")) +
          "</h2><p class=\"pw-secret pw-secret--key\"><code id=\"partner-secret\">" + Escape(created->secret) +
          "</code></p>";
  body += TextBlock(T(lang, kind == "publishable" ? "newkey.publishable_hint" : "newkey.server_hint"));
  body += "<p class=\"pw-actions\">" + LinkButton("/partners", T(lang, "newkey.back"), true) + "</p>\n";
  return web::HtmlPage(UserChrome(env, "partners"), 201, T(lang, "newkey.title"), body);
}

Response PostKeyState(Env& env, bool revoke) {
  const Lang lang = env.lang;
  if (!Can(env, accounts::Action::kManagePartners)) return Forbidden(env);
  auto form = env.request.FormParams();
  if (!CsrfMatches(env.session->csrf_token, form)) return web::CsrfErrorPage(UserChrome(env, ""));
  std::optional<int64_t> id = ParseId(env.request.path_params["id"]);
  if (!id) return web::ErrorPage(UserChrome(env, ""), 404);
  accounts::Actor actor = ActorFor(env);
  Status status = revoke ? env.app.partners.RevokeKey(actor, *id) : env.app.partners.ReinstateKey(actor, *id);
  if (status.ok()) return Response::Redirect(revoke ? "/partners?revoked=1" : "/partners?reinstated=1");
  switch (status.code()) {
    case ErrorCode::kNotFound:
      return web::ErrorPage(UserChrome(env, ""), 404);
    case ErrorCode::kPermissionDenied:
      return Forbidden(env);
    case ErrorCode::kInvalidArgument:
    case ErrorCode::kFailedPrecondition:
      return RenderPartners(
          env, 409,
          web::RenderAlert(web::AlertKind::kDanger, T(lang, "partners.action_failed"),
                           TextBlock(T(lang, revoke ? "partners.err_revoke" : "partners.err_reinstate"))),
          {}, {});
    default:
      return ErrorFor(env, status);
  }
}

}  // namespace

void RegisterPartnerPages(Router& router, AppContext& app) {
  router.Add("POST", "/alerts/{id}/acknowledge", "web_alert_acknowledge", Protected(app, PostAcknowledgeAlert));
  router.Add("GET", "/partners", "web_partners", Protected(app, GetPartners));
  router.Add("POST", "/partners", "web_partner_create", Protected(app, PostPartners));
  router.Add("POST", "/partners/{id}/keys", "web_partner_key_create", Protected(app, PostPartnerKey));
  router.Add("POST", "/partner-keys/{id}/revoke", "web_partner_key_revoke",
             Protected(app, [](Env& env) { return PostKeyState(env, true); }));
  router.Add("POST", "/partner-keys/{id}/reinstate", "web_partner_key_reinstate",
             Protected(app, [](Env& env) { return PostKeyState(env, false); }));
}

}  // namespace passwerk::web
