// Staff web pages: sign-in with password and TOTP (or first enrolment), the
// dashboard, user management and the audit log, plus the embedded assets.
// Thin handlers: read the form, call one AccountService or audit function,
// render. Forms work without JavaScript; every POST carries a CSRF token.
#include <algorithm>
#include <cctype>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "accounts/accounts.h"
#include "audit/audit_log.h"
#include "core/crypto.h"
#include "http/context.h"
#include "http/router.h"
#include "web/assets.h"
#include "web/html.h"
#include "web/i18n.h"
#include "web/qr_svg.h"

namespace passwerk::http {
namespace {

using accounts::AccountService;
using accounts::Role;
using accounts::Session;
using accounts::User;
using web::Chrome;
using web::Escape;
using web::Lang;
using web::T;
using web::Tf;

constexpr std::string_view kSessionCookie = "pw_session";
// Double-submit token for the sign-in form, before any session exists.
constexpr std::string_view kLoginCsrfCookie = "pw_csrf";
constexpr int kAuditPageSize = 50;

// --- request context ---

struct Env {
  AppContext& app;
  Request& request;
  Lang lang = Lang::kDe;
  std::optional<std::string> token;   // the pw_session cookie, if any
  std::optional<Session> session;     // the live session behind it (any stage)
  std::vector<std::string> set_cookies;
};

std::string CookieAttributes(const Request& request) {
  return request.tls ? "; Path=/; HttpOnly; SameSite=Strict; Secure"
                     : "; Path=/; HttpOnly; SameSite=Strict";
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
  if (AccountService::MayManageUsers(user)) {
    chrome.nav.push_back({"/users", std::string(T(env.lang, "nav.users")), current == "users"});
  }
  if (AccountService::MayReadAudit(user)) {
    chrome.nav.push_back({"/audit", std::string(T(env.lang, "nav.audit")), current == "audit"});
  }
  return chrome;
}

using PageHandler = std::function<Response(Env&)>;

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

std::optional<int64_t> ParseId(std::string_view text) {
  if (text.empty() || text.size() > 18) return std::nullopt;
  int64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  return value;
}

Response Forbidden(const Env& env) { return web::ErrorPage(UserChrome(env, ""), 403); }

Response ErrorFor(const Env& env, const Status& status) {
  int code = HttpStatusFor(status.code());
  return web::ErrorPage(UserChrome(env, ""), code == 403 || code == 404 ? code : 500);
}

std::string Heading(std::string_view text) {
  return "<h1 class=\"kern-heading-large\">" + Escape(text) + "</h1>\n";
}

std::string Paragraph(std::string_view text) {
  return "<p class=\"kern-body pw-lead\">" + Escape(text) + "</p>\n";
}

// --- sign-in ---

std::string LoginCsrfToken(Env& env) {
  std::optional<std::string> cookie = env.request.Cookie(kLoginCsrfCookie);
  bool usable = cookie && cookie->size() >= 16 && cookie->size() <= 128 &&
                std::all_of(cookie->begin(), cookie->end(),
                            [](unsigned char c) { return std::isalnum(c) != 0; });
  if (usable) return *cookie;
  std::string token = crypto::RandomToken();
  env.set_cookies.push_back(std::string(kLoginCsrfCookie) + "=" + token +
                            CookieAttributes(env.request));
  return token;
}

Response RenderLogin(Env& env, int status, std::string_view username, std::string notice_html) {
  const Lang lang = env.lang;
  std::string csrf = LoginCsrfToken(env);
  std::string body = Heading(T(lang, "login.title"));
  body += notice_html;
  body += Paragraph(T(lang, "login.intro"));
  body += "<form class=\"pw-form\" method=\"post\" action=\"/login\" novalidate>\n";
  body += web::CsrfInput(csrf);
  web::InputField user_field;
  user_field.name = "username";
  user_field.label = T(lang, "login.username");
  user_field.value = std::string(username);
  user_field.autocomplete = "username";
  user_field.required = true;
  user_field.spellcheck_off = true;
  user_field.maxlength = 64;
  body += web::RenderInput(user_field);
  web::InputField password_field;
  password_field.name = "password";
  password_field.label = T(lang, "login.password");
  password_field.type = "password";
  password_field.autocomplete = "current-password";
  password_field.required = true;
  body += web::RenderInput(password_field);
  body += "<div class=\"pw-actions\">" +
          web::RenderButton(web::ButtonKind::kPrimary, T(lang, "login.submit")) + "</div>\n";
  body += "</form>\n";
  return web::HtmlPage(UserChrome(env, ""), status, T(lang, "login.title"), body);
}

Response GetLogin(Env& env) {
  if (IsFull(env)) return Response::Redirect("/dashboard");
  std::string notice;
  if (env.request.QueryParam("signed_out")) {
    notice = web::RenderAlert(web::AlertKind::kSuccess, T(env.lang, "login.signed_out"), "");
  } else if (env.request.QueryParam("expired")) {
    notice = web::RenderAlert(web::AlertKind::kInfo, T(env.lang, "login.expired"), "");
  }
  return RenderLogin(env, 200, "", notice);
}

// The wait in minutes: the service's message carries it ("… try again in 4
// minutes"); if it ever does not, the whole throttle window is the bound.
int64_t ThrottleMinutes(const Status& status, int64_t window_seconds) {
  const std::string& message = status.message();
  size_t digit = message.find_first_of("0123456789");
  if (digit != std::string::npos) {
    int64_t minutes = 0;
    for (size_t i = digit; i < message.size() && i < digit + 6 && std::isdigit(static_cast<unsigned char>(message[i])); ++i) {
      minutes = minutes * 10 + (message[i] - '0');
    }
    if (minutes > 0) return minutes;
  }
  return std::max<int64_t>(1, (window_seconds + 59) / 60);
}

Response PostLogin(Env& env) {
  const Lang lang = env.lang;
  auto form = env.request.FormParams();
  std::optional<std::string> cookie = env.request.Cookie(kLoginCsrfCookie);
  if (!cookie || !CsrfMatches(*cookie, form)) return web::CsrfErrorPage(UserChrome(env, ""));

  std::string username = TrimSpaces(FormValue(form, "username"));
  std::string password = FormValue(form, "password");
  auto failure = [&](int status, std::string_view message) {
    return RenderLogin(env, status, username,
                       web::RenderAlert(web::AlertKind::kDanger, T(lang, "login.failed_title"),
                                        "<p class=\"kern-body\">" + Escape(message) + "</p>"));
  };
  if (username.empty() || password.empty()) return failure(422, T(lang, "login.missing"));

  Result<accounts::LoginResult> result = env.app.accounts.Login(
      username, password, env.request.remote_address, env.request.request_id);
  if (!result.ok()) {
    switch (result.status().code()) {
      case ErrorCode::kUnauthenticated:
        return failure(401, T(lang, "login.failed"));
      case ErrorCode::kResourceExhausted: {
        int64_t minutes = ThrottleMinutes(result.status(), env.app.config.login_window_seconds);
        Response response = failure(429, Tf(lang, "login.throttled", {std::to_string(minutes)}));
        response.AddHeader("Retry-After", std::to_string(minutes * 60));
        return response;
      }
      default:
        return failure(HttpStatusFor(result.status().code()), T(lang, "error.500_text"));
    }
  }
  // A new sign-in replaces whatever session this browser had.
  if (env.token && env.session) {
    (void)env.app.accounts.Logout(*env.token, env.request.request_id);
  }
  env.set_cookies.push_back(SessionCookie(env.request, result->session.token));
  return Response::Redirect(result->next == accounts::LoginStep::kNeedEnrolment ? "/login/enrol"
                                                                                 : "/login/totp");
}

// The second-factor pages need a pending session of the right stage.
std::optional<Response> RequireStage(Env& env, std::string_view stage) {
  if (env.session && env.session->stage == stage) return std::nullopt;
  if (env.token && !env.session) {
    env.set_cookies.push_back(ClearCookie(env.request, kSessionCookie));
    return Response::Redirect("/login?expired=1");
  }
  return Response::Redirect(HomeFor(env));
}

web::InputField CodeField(Lang lang, std::string error) {
  web::InputField field;
  field.name = "code";
  field.label = T(lang, "totp.code");
  field.hint = T(lang, "totp.code_hint");
  field.error = std::move(error);
  field.autocomplete = "one-time-code";
  field.inputmode = "numeric";
  field.pattern = "[0-9 ]*";
  field.maxlength = 7;
  field.required = true;
  field.spellcheck_off = true;
  return field;
}

// Cancelling a half-finished sign-in is a logout of the pending session.
std::string RestartForm(const Env& env) {
  return "<form class=\"pw-inline-form\" method=\"post\" action=\"/logout\">" +
         web::CsrfInput(env.session->csrf_token) +
         web::RenderButton(web::ButtonKind::kTertiary, T(env.lang, "totp.restart")) + "</form>\n";
}

Response RenderTotp(Env& env, int status, std::string error) {
  const Lang lang = env.lang;
  std::string body = Heading(T(lang, "totp.title"));
  if (!error.empty()) body += web::RenderErrorSummary(lang, {{"code", error}});
  body += Paragraph(T(lang, "totp.intro"));
  body += "<form class=\"pw-form\" method=\"post\" action=\"/login/totp\" novalidate>\n";
  body += web::CsrfInput(env.session->csrf_token);
  body += web::RenderInput(CodeField(lang, std::move(error)));
  body += "<div class=\"pw-actions\">" +
          web::RenderButton(web::ButtonKind::kPrimary, T(lang, "totp.submit")) + "</div>\n";
  body += "</form>\n" + RestartForm(env);
  return web::HtmlPage(UserChrome(env, ""), status, T(lang, "totp.title"), body);
}

// Digits only; spaces (as shown by some apps) are dropped.
std::optional<std::string> NormaliseCode(std::string_view input) {
  std::string code;
  for (char c : input) {
    if (c == ' ') continue;
    if (c < '0' || c > '9') return std::nullopt;
    code += c;
  }
  if (code.size() != 6) return std::nullopt;
  return code;
}

// Shared by /login/totp and /login/enrol: verify, then swap in the new session.
template <typename Rerender>
Response VerifyCode(Env& env, Rerender rerender) {
  const Lang lang = env.lang;
  auto form = env.request.FormParams();
  if (!CsrfMatches(env.session->csrf_token, form)) return web::CsrfErrorPage(UserChrome(env, ""));
  std::optional<std::string> code = NormaliseCode(FormValue(form, "code"));
  if (!code) return rerender(422, std::string(T(lang, "totp.format")));
  Result<Session> full = env.app.accounts.VerifyTotp(*env.token, *code, env.request.remote_address,
                                                     env.request.request_id);
  if (full.ok()) {
    // The pending session is gone; only the new token is valid (no fixation).
    env.set_cookies.push_back(SessionCookie(env.request, full->token));
    return Response::Redirect("/dashboard");
  }
  if (!env.app.accounts.GetSession(*env.token).ok()) {
    env.set_cookies.push_back(ClearCookie(env.request, kSessionCookie));
    return Response::Redirect("/login?expired=1");
  }
  switch (full.status().code()) {
    case ErrorCode::kUnauthenticated:
    case ErrorCode::kInvalidArgument:
    case ErrorCode::kFailedPrecondition:
      return rerender(401, std::string(T(lang, "totp.invalid")));
    case ErrorCode::kResourceExhausted:
      return rerender(429, std::string(T(lang, "totp.throttled")));
    default:
      return ErrorFor(env, full.status());
  }
}

Response GetTotp(Env& env) {
  if (auto redirect = RequireStage(env, "totp")) return *redirect;
  return RenderTotp(env, 200, "");
}

Response PostTotp(Env& env) {
  if (auto redirect = RequireStage(env, "totp")) return *redirect;
  return VerifyCode(env, [&env](int status, std::string error) {
    return RenderTotp(env, status, std::move(error));
  });
}

std::string GroupsOfFour(std::string_view secret) {
  std::string out;
  for (size_t i = 0; i < secret.size(); ++i) {
    if (i > 0 && i % 4 == 0) out += ' ';
    out += secret[i];
  }
  return out;
}

Response RenderEnrol(Env& env, int status, std::string error) {
  const Lang lang = env.lang;
  Result<accounts::Enrolment> enrolment = env.app.accounts.BeginEnrolment(*env.token);
  if (!enrolment.ok()) {
    std::string body = Heading(T(lang, "enrol.title")) +
                       web::RenderAlert(web::AlertKind::kDanger, T(lang, "enrol.unavailable"), "") +
                       RestartForm(env);
    int code = HttpStatusFor(enrolment.status().code());
    return web::HtmlPage(UserChrome(env, ""), code >= 500 ? code : 409, T(lang, "enrol.title"),
                         body);
  }
  Result<std::string> qr = web::QrSvg(enrolment->otpauth_uri, T(lang, "enrol.qr_label"));

  std::string body = Heading(T(lang, "enrol.title"));
  if (!error.empty()) body += web::RenderErrorSummary(lang, {{"code", error}});
  body += Paragraph(T(lang, "enrol.intro"));
  body += "<ol class=\"kern-list kern-list--number pw-steps\">";
  for (std::string_view key : {"enrol.step1", "enrol.step2", "enrol.step3"}) {
    body += "<li>" + Escape(T(lang, key)) + "</li>";
  }
  body += "</ol>\n<div class=\"pw-enrol\">\n";
  if (qr.ok()) body += "<div class=\"pw-enrol__qr\">" + *qr + "</div>\n";
  body += "<div class=\"pw-enrol__manual\"><h2 class=\"kern-heading-small\" id=\"secret-heading\">" +
          Escape(T(lang, "enrol.manual")) +
          "</h2><p class=\"pw-secret\"><code id=\"totp-secret\" aria-labelledby=\"secret-heading\">" +
          Escape(GroupsOfFour(enrolment->secret_base32)) + "</code></p><p class=\"kern-body "
          "kern-body--small\">" + Escape(T(lang, "enrol.manual_hint")) + "</p></div>\n</div>\n";
  body += "<form class=\"pw-form\" method=\"post\" action=\"/login/enrol\" novalidate>\n";
  body += web::CsrfInput(env.session->csrf_token);
  body += web::RenderInput(CodeField(lang, std::move(error)));
  body += "<div class=\"pw-actions\">" +
          web::RenderButton(web::ButtonKind::kPrimary, T(lang, "enrol.submit")) + "</div>\n";
  body += "</form>\n" + RestartForm(env);
  return web::HtmlPage(UserChrome(env, ""), status, T(lang, "enrol.title"), body);
}

Response GetEnrol(Env& env) {
  if (auto redirect = RequireStage(env, "enrol")) return *redirect;
  return RenderEnrol(env, 200, "");
}

Response PostEnrol(Env& env) {
  if (auto redirect = RequireStage(env, "enrol")) return *redirect;
  return VerifyCode(env, [&env](int status, std::string error) {
    return RenderEnrol(env, status, std::move(error));
  });
}

Response PostLogout(Env& env) {
  if (env.session) {
    auto form = env.request.FormParams();
    if (!CsrfMatches(env.session->csrf_token, form)) return web::CsrfErrorPage(UserChrome(env, ""));
    (void)env.app.accounts.Logout(*env.token, env.request.request_id);
  }
  if (env.token) env.set_cookies.push_back(ClearCookie(env.request, kSessionCookie));
  return Response::Redirect("/login?signed_out=1");
}

// --- dashboard ---

std::map<int64_t, std::string> MunicipalityNames(AppContext& app) {
  std::map<int64_t, std::string> names;
  if (auto list = app.accounts.ListMunicipalities(); list.ok()) {
    for (const accounts::Municipality& m : *list) names[m.id] = m.name;
  }
  return names;
}

// Entries since local midnight; counted page by page, capped.
std::pair<int64_t, bool> CountAuditToday(AppContext& app) {
  constexpr int kPage = 500;
  constexpr int kMaxPages = 10;
  audit::AuditFilter filter;
  filter.from = web::BerlinMidnight(web::BerlinDate(app.clock.NowUnix()));
  filter.limit = kPage;
  int64_t count = 0;
  for (int page = 0; page < kMaxPages; ++page) {
    auto entries = audit::List(app.db, filter);
    if (!entries.ok()) return {-1, false};
    count += static_cast<int64_t>(entries->size());
    if (entries->size() < static_cast<size_t>(kPage)) return {count, false};
    filter.before_seq = entries->back().seq;
  }
  return {count, true};
}

std::string DescriptionItem(std::string_view key, std::string_view value) {
  return "<div class=\"kern-description-list-item\"><dt class=\"kern-description-list-item__key\">" +
         Escape(key) + "</dt><dd class=\"kern-description-list-item__value\">" + Escape(value) +
         "</dd></div>";
}

std::string TaskCard(std::string_view href, std::string_view title, std::string_view text) {
  return "<li class=\"kern-card kern-card--interactive pw-task\"><div class=\"kern-card__container\">"
         "<div class=\"kern-card__header\"><h3 class=\"kern-title\"><a class=\"kern-link "
         "kern-link--stretched\" href=\"" +
         Escape(href) + "\">" + Escape(title) +
         "</a></h3></div><div class=\"kern-card__body\"><p class=\"kern-body\">" + Escape(text) +
         "</p></div></div></li>";
}

Response GetDashboard(Env& env) {
  const Lang lang = env.lang;
  const User& user = env.session->user;
  accounts::Actor actor = ActorFor(env);
  std::string name = user.display_name.empty() ? user.username : user.display_name;

  std::string body = Heading(Tf(lang, "dashboard.greeting", {name}));
  body += "<section class=\"pw-section\" aria-labelledby=\"account-heading\"><h2 "
          "class=\"kern-heading-medium\" id=\"account-heading\">" +
          Escape(T(lang, "dashboard.your_account")) + "</h2><dl class=\"kern-description-list\">";
  body += DescriptionItem(T(lang, "dashboard.role"), RoleLabel(lang, user.role));
  if (user.municipality_id) {
    auto names = MunicipalityNames(env.app);
    auto it = names.find(*user.municipality_id);
    if (it != names.end()) body += DescriptionItem(T(lang, "dashboard.municipality"), it->second);
    if (user.department_id) {
      if (auto departments = env.app.accounts.ListDepartments(*user.municipality_id);
          departments.ok()) {
        for (const accounts::Department& d : *departments) {
          if (d.id == *user.department_id) {
            body += DescriptionItem(T(lang, "dashboard.department"), d.name);
          }
        }
      }
    }
  }
  body += "</dl></section>\n";

  const bool may_users = AccountService::MayManageUsers(user);
  const bool may_audit = AccountService::MayReadAudit(user);
  body += "<section class=\"pw-section\" aria-labelledby=\"tasks-heading\"><h2 "
          "class=\"kern-heading-medium\" id=\"tasks-heading\">" +
          Escape(T(lang, "dashboard.tasks")) + "</h2>";
  if (may_users || may_audit) {
    body += "<ul class=\"pw-tasks\">";
    if (may_users) {
      body += TaskCard("/users", T(lang, "dashboard.users_link"), T(lang, "dashboard.users_desc"));
    }
    if (may_audit) {
      body += TaskCard("/audit", T(lang, "dashboard.audit_link"), T(lang, "dashboard.audit_desc"));
    }
    body += "</ul>";
  } else {
    body += "<p class=\"kern-body\">" + Escape(T(lang, "dashboard.no_tasks")) + "</p>";
  }
  body += "</section>\n";

  // Only figures the services can tell us; nothing made up.
  std::string figures;
  if (may_users) {
    if (auto users = env.app.accounts.ListUsers(actor); users.ok()) {
      int64_t active = std::count_if(users->begin(), users->end(),
                                     [](const User& u) { return !u.disabled; });
      figures += "<div class=\"pw-figure\"><dt>" + Escape(T(lang, "dashboard.user_count")) +
                 "</dt><dd>" + std::to_string(users->size()) + "</dd></div>";
      figures += "<div class=\"pw-figure\"><dt>" + Escape(T(lang, "dashboard.user_active")) +
                 "</dt><dd>" + std::to_string(active) + "</dd></div>";
    }
  }
  if (may_audit) {
    auto [count, capped] = CountAuditToday(env.app);
    if (count >= 0) {
      std::string value = capped ? Tf(lang, "dashboard.more_than", {std::to_string(count)})
                                 : std::to_string(count);
      figures += "<div class=\"pw-figure\"><dt>" + Escape(T(lang, "dashboard.audit_today")) +
                 "</dt><dd>" + Escape(value) + "</dd></div>";
    }
  }
  if (!figures.empty()) {
    body += "<section class=\"pw-section\" aria-labelledby=\"figures-heading\"><h2 "
            "class=\"kern-heading-medium\" id=\"figures-heading\">" +
            Escape(T(lang, "dashboard.figures")) + "</h2><dl class=\"pw-figures\">" + figures +
            "</dl></section>\n";
  }
  return web::HtmlPage(UserChrome(env, "dashboard"), 200, T(lang, "dashboard.title"), body);
}

// --- users ---

Response RenderUsers(Env& env, int status, std::string notice_html) {
  const Lang lang = env.lang;
  accounts::Actor actor = ActorFor(env);
  Result<std::vector<User>> users = env.app.accounts.ListUsers(actor);
  if (!users.ok()) return ErrorFor(env, users.status());
  auto municipalities = MunicipalityNames(env.app);

  // Confirmations after a redirect name the user only if it is in the list.
  auto user_named_by = [&](const char* param) -> std::optional<std::string> {
    auto id = env.request.QueryParam(param);
    if (!id) return std::nullopt;
    auto parsed = ParseId(*id);
    if (!parsed) return std::nullopt;
    for (const User& u : *users) {
      if (u.id == *parsed) return u.username;
    }
    return std::nullopt;
  };
  if (notice_html.empty()) {
    if (auto name = user_named_by("created")) {
      notice_html = web::RenderAlert(web::AlertKind::kSuccess, T(lang, "users.created_title"),
                                     "<p class=\"kern-body\">" +
                                         Escape(Tf(lang, "users.created", {*name})) + "</p>");
    } else if (auto disabled = user_named_by("disabled")) {
      notice_html = web::RenderAlert(web::AlertKind::kSuccess, T(lang, "users.done_title"),
                                     "<p class=\"kern-body\">" +
                                         Escape(Tf(lang, "users.disabled_done", {*disabled})) +
                                         "</p>");
    } else if (auto enabled = user_named_by("enabled")) {
      notice_html = web::RenderAlert(web::AlertKind::kSuccess, T(lang, "users.done_title"),
                                     "<p class=\"kern-body\">" +
                                         Escape(Tf(lang, "users.enabled_done", {*enabled})) +
                                         "</p>");
    }
  }

  std::string body = Heading(T(lang, "users.title"));
  body += notice_html;
  body += Paragraph(T(lang, "users.intro"));
  body += "<p class=\"pw-actions\"><a class=\"kern-btn kern-btn--primary\" href=\"/users/new\">"
          "<span class=\"kern-label\">" +
          Escape(T(lang, "users.new")) + "</span></a></p>\n";
  if (users->empty()) {
    body += "<p class=\"kern-body\">" + Escape(T(lang, "users.empty")) + "</p>";
    return web::HtmlPage(UserChrome(env, "users"), status, T(lang, "users.title"), body);
  }
  body += "<div class=\"kern-table-responsive pw-table-wrap\" role=\"region\" "
          "aria-labelledby=\"users-caption\" tabindex=\"0\">"
          "<table class=\"kern-table kern-table--small kern-table--striped\"><caption "
          "class=\"kern-title\" id=\"users-caption\">" +
          Escape(T(lang, "users.caption")) + "</caption><thead><tr class=\"kern-table__row\">";
  for (std::string_view key : {"users.col_username", "users.col_name", "users.col_role",
                               "users.col_municipality", "users.col_totp", "users.col_status",
                               "users.col_action"}) {
    body += "<th scope=\"col\" class=\"kern-table__header\">" + Escape(T(lang, key)) + "</th>";
  }
  body += "</tr></thead><tbody class=\"kern-table__body\">";
  for (const User& u : *users) {
    const bool self = u.id == env.session->user.id;
    std::string municipality(T(lang, "common.none"));
    if (u.municipality_id) {
      auto it = municipalities.find(*u.municipality_id);
      municipality = it != municipalities.end() ? it->second : std::to_string(*u.municipality_id);
    }
    body += "<tr class=\"kern-table__row\" id=\"user-" + std::to_string(u.id) + "\">";
    body += "<th scope=\"row\" class=\"kern-table__header\">" + Escape(u.username);
    if (self) body += " <span class=\"pw-muted\">" + Escape(T(lang, "users.you")) + "</span>";
    body += "</th>";
    body += "<td class=\"kern-table__cell\">" + Escape(u.display_name) + "</td>";
    body += "<td class=\"kern-table__cell\">" + Escape(RoleLabel(lang, u.role)) + "</td>";
    body += "<td class=\"kern-table__cell\">" + Escape(municipality) + "</td>";
    body += "<td class=\"kern-table__cell\">" +
            Escape(T(lang, u.totp_enrolled ? "common.yes" : "common.no")) + "</td>";
    body += "<td class=\"kern-table__cell\"><span class=\"kern-badge kern-badge--" +
            std::string(u.disabled ? "danger" : "success") + " kern-badge--small\"><span "
            "class=\"kern-label\">" +
            Escape(T(lang, u.disabled ? "users.disabled" : "users.active")) + "</span></span></td>";
    body += "<td class=\"kern-table__cell kern-table__cell--action\">";
    if (!self) {
      const char* verb = u.disabled ? "enable" : "disable";
      std::string aria = Tf(lang, u.disabled ? "users.enable_named" : "users.disable_named",
                            {u.username});
      body += "<form class=\"pw-inline-form\" method=\"post\" action=\"/users/" +
              std::to_string(u.id) + "/" + verb + "\">" + web::CsrfInput(env.session->csrf_token) +
              web::RenderButton(web::ButtonKind::kSecondary,
                                T(lang, u.disabled ? "users.enable" : "users.disable"),
                                "aria-label=\"" + Escape(aria) + "\"") +
              "</form>";
    }
    body += "</td></tr>";
  }
  body += "</tbody></table></div>\n";
  return web::HtmlPage(UserChrome(env, "users"), status, T(lang, "users.title"), body);
}

Response GetUsers(Env& env) {
  if (!AccountService::MayManageUsers(env.session->user)) return Forbidden(env);
  return RenderUsers(env, 200, "");
}

struct NewUserForm {
  std::string username;
  std::string display_name;
  std::string role;
  std::string municipality;
  std::string department;
};

// Roles this user may hand out: the operator any, a municipality admin those
// inside a municipality. The service has the final word.
std::vector<Role> AssignableRoles(const User& user) {
  if (user.role == Role::kOperator) {
    return {Role::kOperator, Role::kMunicipalityAdmin, Role::kClerk, Role::kAuditor};
  }
  return {Role::kClerk, Role::kMunicipalityAdmin};
}

Response RenderNewUser(Env& env, int status, const NewUserForm& values,
                       const std::vector<web::FieldError>& errors) {
  const Lang lang = env.lang;
  const User& me = env.session->user;
  auto error_for = [&](std::string_view field) {
    for (const web::FieldError& e : errors) {
      if (e.field == field) return e.message;
    }
    return std::string();
  };

  std::vector<accounts::Municipality> municipalities;
  if (auto list = env.app.accounts.ListMunicipalities(); list.ok()) {
    for (const accounts::Municipality& m : *list) {
      if (me.role == Role::kOperator || (me.municipality_id && *me.municipality_id == m.id)) {
        municipalities.push_back(m);
      }
    }
  }

  std::string body = Heading(T(lang, "newuser.title"));
  body += web::RenderErrorSummary(lang, errors);
  body += Paragraph(T(lang, "newuser.intro"));
  body += "<form class=\"pw-form\" method=\"post\" action=\"/users\" novalidate>\n";
  body += web::CsrfInput(env.session->csrf_token);

  web::InputField username;
  username.name = "username";
  username.label = T(lang, "newuser.username");
  username.hint = T(lang, "newuser.username_hint");
  username.value = values.username;
  username.error = error_for("username");
  username.autocomplete = "off";
  username.maxlength = 64;
  username.required = true;
  username.spellcheck_off = true;
  body += web::RenderInput(username);

  web::InputField display_name;
  display_name.name = "display_name";
  display_name.label = T(lang, "newuser.display_name");
  display_name.hint = T(lang, "newuser.display_name_hint");
  display_name.value = values.display_name;
  display_name.error = error_for("display_name");
  display_name.autocomplete = "off";
  display_name.maxlength = 200;
  display_name.required = true;
  body += web::RenderInput(display_name);

  web::SelectField role;
  role.name = "role";
  role.label = T(lang, "newuser.role");
  role.error = error_for("role");
  role.required = true;
  web::SelectGroup role_options;
  role_options.options.push_back({"", std::string(T(lang, "newuser.role_choose")), values.role.empty()});
  for (Role r : AssignableRoles(me)) {
    std::string name(accounts::RoleName(r));
    role_options.options.push_back({name, RoleLabel(lang, r), values.role == name});
  }
  role.groups.push_back(std::move(role_options));
  body += web::RenderSelect(role);

  web::SelectField municipality;
  municipality.name = "municipality";
  municipality.label = T(lang, "newuser.municipality");
  municipality.error = error_for("municipality");
  web::SelectGroup municipality_options;
  if (me.role == Role::kOperator) {
    municipality_options.options.push_back(
        {"", std::string(T(lang, "newuser.municipality_none")), values.municipality.empty()});
  }
  for (const accounts::Municipality& m : municipalities) {
    std::string id = std::to_string(m.id);
    bool selected = values.municipality == id || (values.municipality.empty() &&
                                                  me.role != Role::kOperator);
    municipality_options.options.push_back({id, m.name + " (" + m.municipality_number + ")", selected});
  }
  municipality.groups.push_back(std::move(municipality_options));
  body += web::RenderSelect(municipality);

  web::SelectField department;
  department.name = "department";
  department.label = T(lang, "newuser.department");
  department.error = error_for("department");
  department.groups.push_back(
      {"", {{"", std::string(T(lang, "newuser.department_none")), values.department.empty()}}});
  for (const accounts::Municipality& m : municipalities) {
    auto departments = env.app.accounts.ListDepartments(m.id);
    if (!departments.ok() || departments->empty()) continue;
    web::SelectGroup group;
    group.label = m.name;
    for (const accounts::Department& d : *departments) {
      std::string id = std::to_string(d.id);
      group.options.push_back({id, d.name, values.department == id});
    }
    department.groups.push_back(std::move(group));
  }
  body += web::RenderSelect(department);

  web::InputField password;
  password.name = "password";
  password.label = T(lang, "newuser.password");
  password.hint = T(lang, "newuser.password_hint");
  password.type = "password";
  password.error = error_for("password");
  password.autocomplete = "new-password";
  password.required = true;
  body += web::RenderInput(password);

  body += "<div class=\"pw-actions\">" +
          web::RenderButton(web::ButtonKind::kPrimary, T(lang, "newuser.submit")) +
          "<a class=\"kern-btn kern-btn--tertiary\" href=\"/users\"><span class=\"kern-label\">" +
          Escape(T(lang, "common.cancel")) + "</span></a></div>\n</form>\n";
  return web::HtmlPage(UserChrome(env, "users"), status, T(lang, "newuser.title"), body);
}

Response GetNewUser(Env& env) {
  if (!AccountService::MayManageUsers(env.session->user)) return Forbidden(env);
  return RenderNewUser(env, 200, {}, {});
}

// A service validation error, attached to the form field it names, in the
// page's language where we know the rule.
web::FieldError ToFieldError(Lang lang, const Status& status) {
  std::string field = status.field();
  if (field == "municipality_id") field = "municipality";
  if (field == "department_id") field = "department";
  if (status.code() == ErrorCode::kAlreadyExists && (field.empty() || field == "username")) {
    return {"username", std::string(T(lang, "newuser.err_username_taken"))};
  }
  static const std::map<std::string, std::string_view> kMessages = {
      {"username", "newuser.err_username"},   {"display_name", "newuser.err_display_name"},
      {"role", "newuser.err_role"},           {"municipality", "newuser.err_municipality"},
      {"department", "newuser.err_department"}, {"password", "newuser.err_password"}};
  auto it = kMessages.find(field);
  if (it != kMessages.end()) return {field, std::string(T(lang, it->second))};
  if (status.code() == ErrorCode::kPermissionDenied) {
    return {"", std::string(T(lang, "error.403_text"))};
  }
  return {"", status.message()};
}

Response PostUsers(Env& env) {
  const Lang lang = env.lang;
  if (!AccountService::MayManageUsers(env.session->user)) return Forbidden(env);
  auto form = env.request.FormParams();
  if (!CsrfMatches(env.session->csrf_token, form)) return web::CsrfErrorPage(UserChrome(env, ""));

  NewUserForm values{TrimSpaces(FormValue(form, "username")),
                     TrimSpaces(FormValue(form, "display_name")), FormValue(form, "role"),
                     FormValue(form, "municipality"), FormValue(form, "department")};
  accounts::NewUser user;
  user.username = values.username;
  user.display_name = values.display_name;
  user.password = FormValue(form, "password");

  // What the form itself can tell (all at once); the service checks the rules.
  std::vector<web::FieldError> errors;
  if (values.username.empty()) {
    errors.push_back({"username", std::string(T(lang, "newuser.err_username"))});
  }
  if (values.display_name.empty()) {
    errors.push_back({"display_name", std::string(T(lang, "newuser.err_display_name"))});
  }
  std::optional<Role> role = accounts::ParseRole(values.role);
  if (role) {
    user.role = *role;
  } else {
    errors.push_back({"role", std::string(T(lang, "newuser.err_role"))});
  }
  if (!values.municipality.empty()) {
    if (auto id = ParseId(values.municipality)) {
      user.municipality_id = *id;
    } else {
      errors.push_back({"municipality", std::string(T(lang, "newuser.err_municipality"))});
    }
  }
  if (!values.department.empty()) {
    if (auto id = ParseId(values.department)) {
      user.department_id = *id;
    } else {
      errors.push_back({"department", std::string(T(lang, "newuser.err_department"))});
    }
  }
  if (user.password.empty()) {
    errors.push_back({"password", std::string(T(lang, "newuser.err_password"))});
  }
  if (!errors.empty()) return RenderNewUser(env, 422, values, errors);

  Result<User> created = env.app.accounts.CreateUser(ActorFor(env), user);
  if (!created.ok()) {
    ErrorCode code = created.status().code();
    if (code != ErrorCode::kInvalidArgument && code != ErrorCode::kAlreadyExists &&
        code != ErrorCode::kPermissionDenied && code != ErrorCode::kNotFound &&
        code != ErrorCode::kFailedPrecondition) {
      return ErrorFor(env, created.status());
    }
    int status = code == ErrorCode::kAlreadyExists ? 409 : 422;
    return RenderNewUser(env, status, values, {ToFieldError(lang, created.status())});
  }
  return Response::Redirect("/users?created=" + std::to_string(created->id));
}

Response PostUserState(Env& env, bool disable) {
  const Lang lang = env.lang;
  if (!AccountService::MayManageUsers(env.session->user)) return Forbidden(env);
  auto form = env.request.FormParams();
  if (!CsrfMatches(env.session->csrf_token, form)) return web::CsrfErrorPage(UserChrome(env, ""));
  std::optional<int64_t> id = ParseId(env.request.path_params["id"]);
  if (!id) return web::ErrorPage(UserChrome(env, ""), 404);
  accounts::Actor actor = ActorFor(env);
  Status status = disable ? env.app.accounts.DisableUser(actor, *id)
                          : env.app.accounts.EnableUser(actor, *id);
  if (status.ok()) {
    return Response::Redirect(std::string(disable ? "/users?disabled=" : "/users?enabled=") +
                              std::to_string(*id));
  }
  switch (status.code()) {
    case ErrorCode::kNotFound:
      return web::ErrorPage(UserChrome(env, ""), 404);
    case ErrorCode::kPermissionDenied:
      return Forbidden(env);
    case ErrorCode::kInvalidArgument:
    case ErrorCode::kFailedPrecondition:
      return RenderUsers(env, HttpStatusFor(status.code()),
                         web::RenderAlert(web::AlertKind::kDanger, T(lang, "users.action_failed"),
                                          "<p class=\"kern-body\">" + Escape(status.message()) +
                                              "</p>"));
    default:
      return ErrorFor(env, status);
  }
}

// --- audit ---

std::string AuditQuery(const std::string& action, const std::string& actor,
                       const std::string& from, const std::string& to, int64_t before) {
  std::string query;
  auto add = [&](std::string_view name, const std::string& value) {
    if (value.empty()) return;
    query += query.empty() ? "?" : "&";
    query += std::string(name) + "=" + UrlEncode(value);
  };
  add("action", action);
  add("actor", actor);
  add("from", from);
  add("to", to);
  if (before > 0) add("before", std::to_string(before));
  return "/audit" + query;
}

Response GetAudit(Env& env) {
  const Lang lang = env.lang;
  if (!AccountService::MayReadAudit(env.session->user)) return Forbidden(env);
  const Request& request = env.request;
  std::string action = TrimSpaces(request.QueryParam("action").value_or(""));
  std::string actor = TrimSpaces(request.QueryParam("actor").value_or(""));
  std::string from = TrimSpaces(request.QueryParam("from").value_or(""));
  std::string to = TrimSpaces(request.QueryParam("to").value_or(""));
  int64_t before = ParseId(request.QueryParam("before").value_or("")).value_or(0);

  audit::AuditFilter filter;
  filter.action_prefix = action;
  filter.actor = actor;
  filter.before_seq = before;
  filter.limit = kAuditPageSize;
  std::vector<web::FieldError> errors;
  if (!from.empty()) {
    filter.from = web::BerlinMidnight(from);
    if (!filter.from) errors.push_back({"from", std::string(T(lang, "audit.bad_date"))});
  }
  if (!to.empty()) {
    // Inclusive end date: up to the next local midnight.
    std::optional<int64_t> start = web::BerlinMidnight(to);
    if (start) {
      filter.to = web::BerlinMidnight(web::BerlinDate(*start + 36 * 3600));
    } else {
      errors.push_back({"to", std::string(T(lang, "audit.bad_date"))});
    }
  }
  if (filter.from && filter.to && *filter.to <= *filter.from) {
    errors.push_back({"to", std::string(T(lang, "audit.bad_range"))});
  }

  auto error_for = [&](std::string_view field) {
    for (const web::FieldError& e : errors) {
      if (e.field == field) return e.message;
    }
    return std::string();
  };

  std::string body = Heading(T(lang, "audit.title"));
  body += web::RenderErrorSummary(lang, errors);
  body += Paragraph(T(lang, "audit.intro"));
  body += "<form class=\"pw-filter\" method=\"get\" action=\"/audit\" role=\"search\" "
          "aria-labelledby=\"filter-heading\" novalidate><h2 class=\"kern-heading-small\" "
          "id=\"filter-heading\">" +
          Escape(T(lang, "audit.filter")) + "</h2><div class=\"pw-filter__fields\">";
  web::InputField action_field;
  action_field.name = "action";
  action_field.label = T(lang, "audit.action");
  action_field.hint = T(lang, "audit.action_hint");
  action_field.value = action;
  action_field.spellcheck_off = true;
  action_field.maxlength = 100;
  body += web::RenderInput(action_field);
  web::InputField actor_field;
  actor_field.name = "actor";
  actor_field.label = T(lang, "audit.actor");
  actor_field.hint = T(lang, "audit.actor_hint");
  actor_field.value = actor;
  actor_field.spellcheck_off = true;
  actor_field.maxlength = 100;
  body += web::RenderInput(actor_field);
  web::InputField from_field;
  from_field.name = "from";
  from_field.label = T(lang, "audit.from");
  from_field.type = "date";
  from_field.value = from;
  from_field.error = error_for("from");
  body += web::RenderInput(from_field);
  web::InputField to_field;
  to_field.name = "to";
  to_field.label = T(lang, "audit.to");
  to_field.type = "date";
  to_field.value = to;
  to_field.error = error_for("to");
  body += web::RenderInput(to_field);
  body += "</div><div class=\"pw-actions\">" +
          web::RenderButton(web::ButtonKind::kPrimary, T(lang, "audit.apply")) +
          "<a class=\"kern-btn kern-btn--tertiary\" href=\"/audit\"><span class=\"kern-label\">" +
          Escape(T(lang, "audit.reset")) + "</span></a></div></form>\n";

  int status = errors.empty() ? 200 : 422;
  if (errors.empty()) {
    Result<std::vector<audit::AuditEntry>> entries = audit::List(env.app.db, filter);
    if (!entries.ok()) return ErrorFor(env, entries.status());
    if (entries->empty()) {
      body += "<p class=\"kern-body pw-empty\">" + Escape(T(lang, "audit.empty")) + "</p>";
    } else {
      body += "<div class=\"kern-table-responsive pw-table-wrap\" role=\"region\" "
              "aria-labelledby=\"audit-caption\" tabindex=\"0\"><table class=\"kern-table "
              "kern-table--small kern-table--striped pw-audit\"><caption class=\"kern-title\" "
              "id=\"audit-caption\">" +
              Escape(T(lang, "audit.caption")) + "</caption><thead><tr class=\"kern-table__row\">";
      for (std::string_view key : {"audit.col_seq", "audit.col_time", "audit.col_actor",
                                   "audit.col_action", "audit.col_object", "audit.col_detail"}) {
        body += "<th scope=\"col\" class=\"kern-table__header\">" + Escape(T(lang, key)) + "</th>";
      }
      body += "</tr></thead><tbody class=\"kern-table__body\">";
      for (const audit::AuditEntry& e : *entries) {
        body += "<tr class=\"kern-table__row\"><th scope=\"row\" class=\"kern-table__header "
                "kern-table__header--numeric\">" +
                std::to_string(e.seq) + "</th><td class=\"kern-table__cell pw-nowrap\"><time "
                "datetime=\"" +
                Escape(FormatUtc(e.at)) + "\">" + Escape(web::FormatBerlinTime(e.at, lang)) +
                "</time></td><td class=\"kern-table__cell\">" + Escape(e.event.actor) +
                "</td><td class=\"kern-table__cell\">" + Escape(e.event.action) +
                "</td><td class=\"kern-table__cell\">" + Escape(e.event.object) +
                "</td><td class=\"kern-table__cell\"><code class=\"pw-detail\">" +
                Escape(e.event.detail) + "</code></td></tr>";
      }
      body += "</tbody></table></div>\n";
    }
    bool more = entries->size() == static_cast<size_t>(kAuditPageSize);
    if (more || before > 0) {
      body += "<nav class=\"pw-paging\" aria-label=\"" + Escape(T(lang, "audit.paging")) + "\"><ul>";
      if (before > 0) {
        body += "<li><a class=\"kern-link\" href=\"" +
                Escape(AuditQuery(action, actor, from, to, 0)) + "\">" +
                Escape(T(lang, "audit.newest")) + "</a></li>";
      }
      if (more) {
        body += "<li><a class=\"kern-link\" rel=\"next\" href=\"" +
                Escape(AuditQuery(action, actor, from, to, entries->back().seq)) + "\">" +
                Escape(T(lang, "audit.older")) + "</a></li>";
      }
      body += "</ul></nav>\n";
    }
  }
  return web::HtmlPage(UserChrome(env, "audit"), status, T(lang, "audit.title"), body);
}

}  // namespace

void RegisterWebRoutes(Router& router, AppContext& app) {
  for (const web::Asset& asset : web::AllAssets()) {
    const web::Asset* a = &asset;
    router.Add("GET", std::string(asset.url_path), "static",
               [a](Request& request) { return web::ServeAsset(*a, request); });
  }

  router.Add("GET", "/", "web_root", Page(app, [](Env& env) {
               return Response::Redirect(IsFull(env) ? "/dashboard" : "/login");
             }));
  router.Add("GET", "/login", "web_login", Page(app, GetLogin));
  router.Add("POST", "/login", "web_login_submit", Page(app, PostLogin));
  router.Add("GET", "/login/totp", "web_login_totp", Page(app, GetTotp));
  router.Add("POST", "/login/totp", "web_login_totp_submit", Page(app, PostTotp));
  router.Add("GET", "/login/enrol", "web_login_enrol", Page(app, GetEnrol));
  router.Add("POST", "/login/enrol", "web_login_enrol_submit", Page(app, PostEnrol));
  router.Add("POST", "/logout", "web_logout", Page(app, PostLogout));

  router.Add("GET", "/dashboard", "web_dashboard", Protected(app, GetDashboard));
  router.Add("GET", "/users", "web_users", Protected(app, GetUsers));
  router.Add("GET", "/users/new", "web_user_new", Protected(app, GetNewUser));
  router.Add("POST", "/users", "web_user_create", Protected(app, PostUsers));
  router.Add("POST", "/users/{id}/disable", "web_user_disable",
             Protected(app, [](Env& env) { return PostUserState(env, true); }));
  router.Add("POST", "/users/{id}/enable", "web_user_enable",
             Protected(app, [](Env& env) { return PostUserState(env, false); }));
  router.Add("GET", "/audit", "web_audit", Protected(app, GetAudit));
}

}  // namespace passwerk::http
