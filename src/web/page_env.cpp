#include "web/page_env.h"

#include <cctype>

#include "core/crypto.h"
#include "core/money.h"
#include "core/numbers.h"

namespace passwerk::web {

std::string CookieAttributes(const Request& request) {
  return request.tls ? "; Path=/; HttpOnly; SameSite=Strict; Secure" : "; Path=/; HttpOnly; SameSite=Strict";
}

std::string SessionCookie(const Request& request, std::string_view token) {
  return std::string(kSessionCookie) + "=" + std::string(token) + CookieAttributes(request);
}

std::string ClearCookie(const Request& request, std::string_view name) {
  return std::string(name) + "=" + CookieAttributes(request) + "; Max-Age=0";
}

void LoadSession(Env& env) {
  env.token = env.request.Cookie(kSessionCookie);
  if (!env.token || env.token->empty()) {
    env.token.reset();
    return;
  }
  Result<Session> session = env.app.accounts.GetSession(*env.token);
  if (session.ok()) env.session = std::move(session).value();
}

bool IsFull(const Env& env) { return env.session && env.session->stage == "full"; }

accounts::Actor ActorFor(const Env& env) {
  accounts::Actor actor;
  actor.id = "user:" + std::to_string(env.session->user.id);
  actor.user = env.session->user;
  actor.request_id = env.request.request_id;
  return actor;
}

std::string RoleLabel(Lang lang, Role role) {
  return std::string(T(lang, "role." + std::string(accounts::RoleName(role))));
}

Chrome UserChrome(const Env& env, std::string_view current) {
  Chrome chrome = web::AnonymousChrome(env.request, env.lang);
  if (!env.session) return chrome;
  const User& user = env.session->user;
  chrome.csrf_token = env.session->csrf_token;
  if (env.session->stage != "full") return chrome;
  chrome.user_display_name = user.display_name.empty() ? user.username : user.display_name;
  chrome.user_role_label = RoleLabel(env.lang, user.role);
  chrome.nav.push_back({"/dashboard", std::string(T(env.lang, "nav.dashboard")), current == "dashboard"});
  using accounts::Action;
  auto add = [&](Action action, bool also, const char* path, std::string_view key, std::string_view name) {
    if (also && Can(env, action)) chrome.nav.push_back({path, std::string(T(env.lang, key)), current == name});
  };
  // Pages bound to a municipality's office show only to users who have one.
  const bool has_municipality = user.municipality_id.has_value();
  add(Action::kReadCards, true, "/cards", "nav.cards", "cards");
  add(Action::kReadThreads, true, "/mailbox", "nav.mailbox", "mailbox");
  add(Action::kReadApplications, true, "/applications", "applications.nav", "applications");
  add(Action::kManagePartners, true, "/partners", "nav.partners", "partners");
  add(Action::kReadRegistrations, has_municipality, "/registrations", "nav.registrations", "registrations");
  add(Action::kManageGuestCards, has_municipality, "/annual-cards", "nav.annual_cards", "annual_cards");
  add(Action::kReadCardStock, true, "/card-stock", "nav.card_stock", "card-stock");
  add(Action::kReadTerminals, true, "/terminals", "nav.terminals", "terminals");
  add(Action::kReadSettlement, true, "/settlement", "nav.settlement", "settlement");
  add(Action::kReadStatistics, true, "/statistics", "nav.statistics", "statistics");
  add(Action::kManageUsers, true, "/users", "nav.users", "users");
  add(Action::kManageDepartments, true, "/departments", "nav.departments", "departments");
  add(Action::kReadAudit, true, "/audit", "nav.audit", "audit");
  return chrome;
}

// Language choice and the cookies a handler asked for, around every page.
Handler Page(AppContext& app, PageHandler handler) {
  return [&app, handler = std::move(handler)](Request& request) {
    web::LanguageChoice choice = web::ChooseLanguage(request);
    Env env{app, request, choice.lang, {}, {}, {}};
    LoadSession(env);
    Response response = handler(env);
    if (choice.from_query) {
      response.AddHeader("Set-Cookie", web::LanguageCookie(choice.lang, request.tls));
    }
    for (std::string& cookie : env.set_cookies) response.AddHeader("Set-Cookie", std::move(cookie));
    return response;
  };
}

// Where someone with this (possibly partial) session belongs.
std::string HomeFor(const Env& env) {
  if (!env.session) return "/login";
  if (env.session->stage == "full") return "/dashboard";
  if (env.session->stage == "enrol") return "/login/enrol";
  return "/login/totp";
}

// Pages that need a full (password + TOTP) session.
Handler Protected(AppContext& app, PageHandler handler) {
  return Page(app, [handler = std::move(handler)](Env& env) {
    if (!IsFull(env)) {
      if (env.token && !env.session) {
        env.set_cookies.push_back(ClearCookie(env.request, kSessionCookie));
      }
      return Response::Redirect(HomeFor(env));
    }
    return handler(env);
  });
}

bool CsrfMatches(std::string_view expected, const std::map<std::string, std::string>& form) {
  auto it = form.find("csrf");
  return !expected.empty() && it != form.end() && crypto::ConstantTimeEquals(expected, it->second);
}

std::string FormValue(const std::map<std::string, std::string>& form, const std::string& name) {
  auto it = form.find(name);
  return it == form.end() ? std::string() : it->second;
}

std::string TrimSpaces(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string(s);
}

std::optional<int64_t> ParseId(std::string_view text) { return ParseIntegerIn(text, 0, INT64_MAX); }

Response Forbidden(const Env& env) { return web::ErrorPage(UserChrome(env, ""), 403); }

Response ErrorFor(const Env& env, const Status& status) {
  int code = HttpStatusFor(status.code());
  return web::ErrorPage(UserChrome(env, ""), code == 403 || code == 404 ? code : 500);
}

std::string Heading(std::string_view text) { return "<h1 class=\"kern-heading-large\">" + Escape(text) + "</h1>\n"; }

std::string Paragraph(std::string_view text) { return "<p class=\"kern-body pw-lead\">" + Escape(text) + "</p>\n"; }

std::string DescriptionItem(std::string_view key, std::string_view value) {
  return "<div class=\"kern-description-list-item\"><dt class=\"kern-description-list-item__key\">" + Escape(key) +
         "</dt><dd class=\"kern-description-list-item__value\">" + Escape(value) + "</dd></div>";
}

std::string MessageFor(const std::vector<web::FieldError>& errors, std::string_view field) {
  for (const web::FieldError& e : errors) {
    if (e.field == field) return e.message;
  }
  return std::string();
}

std::string LinkButton(std::string_view href, std::string_view label, bool primary) {
  return "<a class=\"kern-btn " + std::string(primary ? "kern-btn--primary" : "kern-btn--tertiary") + "\" href=\"" +
         Escape(href) + "\"><span class=\"kern-label\">" + Escape(label) + "</span></a>";
}

std::string TextBlock(std::string_view text) { return "<p class=\"kern-body\">" + Escape(text) + "</p>"; }

std::string DescriptionItemHtml(std::string_view key, std::string_view value_html) {
  return "<div class=\"kern-description-list-item\"><dt class=\"kern-description-list-item__key\">" + Escape(key) +
         "</dt><dd class=\"kern-description-list-item__value\">" + std::string(value_html) + "</dd></div>";
}

std::string Badge(std::string_view kind, std::string_view label) {
  return "<span class=\"kern-badge kern-badge--" + std::string(kind) +
         " kern-badge--small\"><span class=\"kern-label\">" + Escape(label) + "</span></span>";
}

std::string TableStart(const std::string& id, std::string_view caption, const std::vector<std::string_view>& cols,
                       Lang lang) {
  std::string out = "<div class=\"kern-table-responsive pw-table-wrap\" role=\"region\" aria-labelledby=\"" + id +
                    "\" tabindex=\"0\"><table class=\"kern-table kern-table--small kern-table--striped\"><caption "
                    "class=\"kern-title\" id=\"" +
                    id + "\">" + Escape(caption) + "</caption><thead><tr class=\"kern-table__row\">";
  for (std::string_view key : cols) {
    out += "<th scope=\"col\" class=\"kern-table__header\">" + Escape(T(lang, key)) + "</th>";
  }
  return out + "</tr></thead><tbody class=\"kern-table__body\">";
}

std::string Cell(std::string_view text) { return "<td class=\"kern-table__cell\">" + Escape(text) + "</td>"; }

std::string SectionStart(const std::string& id, std::string_view title) {
  return "<section class=\"pw-section\" aria-labelledby=\"" + id + "\"><h2 class=\"kern-heading-medium\" id=\"" + id +
         "\">" + Escape(title) + "</h2>";
}

std::string ShowDate(const Date& date, Lang lang) {
  return lang == Lang::kDe ? FormatGermanDate(date) : FormatIsoDate(date);
}

std::string ShowIsoDate(const std::string& iso, Lang lang) {
  std::optional<Date> date = ParseIsoDate(iso);
  return date ? ShowDate(*date, lang) : iso;
}

std::string Euro(int64_t cents, Lang lang) { return FormatCents(cents, lang == Lang::kDe ? ',' : '.') + " €"; }

std::map<int64_t, std::string> MunicipalityNames(AppContext& app) {
  std::map<int64_t, std::string> names;
  if (auto list = app.accounts.ListMunicipalities(); list.ok()) {
    for (const accounts::Municipality& m : *list) names[m.id] = m.name;
  }
  return names;
}

std::optional<accounts::Municipality> PageMunicipality(Env& env, const std::string& wanted, accounts::Action action) {
  std::optional<int64_t> only = accounts::OnlyMunicipality(ActorFor(env), action);
  auto all = env.app.accounts.ListMunicipalities();
  if (!all.ok()) return std::nullopt;
  for (const auto& m : *all) {
    if (only ? m.id == *only : (wanted.empty() || m.municipality_number == wanted)) return m;
  }
  return std::nullopt;
}

bool Can(const Env& env, accounts::Action action, const accounts::Resource& resource) {
  return env.session && accounts::Can(ActorFor(env), action, resource);
}

bool CanIn(const Env& env, accounts::Action action, int64_t municipality_id) {
  return Can(env, action, accounts::Resource::InMunicipality(municipality_id));
}

std::vector<cards::Scheme> VisibleSchemes(Env& env) {
  // Those whose cards the user manages: a clerk's departments, an administrator's municipality.
  auto schemes = env.app.cards.ListSchemes(ActorFor(env), accounts::Action::kManageCards);
  return schemes.ok() ? std::move(schemes).value() : std::vector<cards::Scheme>();
}

}  // namespace passwerk::web
