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

#include <nlohmann/json.hpp>

#include "accounts/accounts.h"
#include "audit/audit_log.h"
#include "cards/card_number.h"
#include "cards/cards.h"
#include "checks/check_service.h"
#include "checks/partners.h"
#include "guestcards/registration_csv_batch.h"
#include "guestcards/registrations.h"
#include "guestcards/statistics.h"
#include "core/dates.h"
#include "core/crypto.h"
#include "http/context.h"
#include "http/router.h"
#include "web/assets.h"
#include "web/card_stock_pages.h"
#include "web/html.h"
#include "web/i18n.h"
#include "web/page_env.h"
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

constexpr int kAuditPageSize = 50;

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


std::string TaskCard(std::string_view href, std::string_view title, std::string_view text) {
  return "<li class=\"kern-card kern-card--interactive pw-task\"><div class=\"kern-card__container\">"
         "<div class=\"kern-card__header\"><h3 class=\"kern-title\"><a class=\"kern-link "
         "kern-link--stretched\" href=\"" +
         Escape(href) + "\">" + Escape(title) +
         "</a></h3></div><div class=\"kern-card__body\"><p class=\"kern-body\">" + Escape(text) +
         "</p></div></div></li>";
}

std::string AlertsSection(Env& env);

Response GetDashboard(Env& env) {
  const Lang lang = env.lang;
  const User& user = env.session->user;
  accounts::Actor actor = ActorFor(env);
  std::string name = user.display_name.empty() ? user.username : user.display_name;

  std::string body = Heading(Tf(lang, "dashboard.greeting", {name}));
  if (env.request.QueryParam("acknowledged")) {
    body += web::RenderAlert(web::AlertKind::kSuccess, T(lang, "alerts.acknowledged_title"),
                             "<p class=\"kern-body\">" + Escape(T(lang, "alerts.acknowledged")) +
                                 "</p>");
  }
  body += AlertsSection(env);
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
  const bool may_cards = user.role == Role::kOperator || user.role == Role::kMunicipalityAdmin ||
                         user.role == Role::kClerk;
  const bool may_partners = user.role == Role::kOperator || user.role == Role::kMunicipalityAdmin;
  body += "<section class=\"pw-section\" aria-labelledby=\"tasks-heading\"><h2 "
          "class=\"kern-heading-medium\" id=\"tasks-heading\">" +
          Escape(T(lang, "dashboard.tasks")) + "</h2>";
  const bool may_register = user.role == Role::kLandlord;
  if (may_users || may_audit || may_cards || may_register) {
    body += "<ul class=\"pw-tasks\">";
    if (may_register) {
      body += TaskCard("/registrations", T(lang, "dashboard.registrations_link"),
                       T(lang, "dashboard.registrations_desc"));
    }
    if (may_cards) {
      body += TaskCard("/cards", T(lang, "dashboard.cards_link"), T(lang, "dashboard.cards_desc"));
    }
    if (may_partners) {
      body += TaskCard("/partners", T(lang, "dashboard.partners_link"),
                       T(lang, "dashboard.partners_desc"));
    }
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
    return {Role::kOperator, Role::kMunicipalityAdmin, Role::kClerk, Role::kAuditor, Role::kLandlord};
  }
  return {Role::kClerk, Role::kMunicipalityAdmin, Role::kLandlord};
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

// --- cards ---

bool MayWorkWithCards(const User& user) {
  return user.role == Role::kOperator || user.role == Role::kMunicipalityAdmin ||
         user.role == Role::kClerk;
}

bool MayManagePartners(const User& user) {
  return user.role == Role::kOperator || user.role == Role::kMunicipalityAdmin;
}

// The operator sees every municipality; everybody else only their own.
bool InMunicipality(const User& user, int64_t municipality_id) {
  return user.role == Role::kOperator ||
         (user.municipality_id && *user.municipality_id == municipality_id);
}

std::vector<cards::Scheme> VisibleSchemes(Env& env) {
  std::vector<cards::Scheme> out;
  auto all = env.app.cards.ListSchemes();
  if (!all.ok()) return out;
  for (cards::Scheme& s : *all) {
    if (InMunicipality(env.session->user, s.municipality_id)) out.push_back(std::move(s));
  }
  return out;
}

std::string ShowDate(const Date& date, Lang lang) {
  return lang == Lang::kDe ? FormatGermanDate(date) : FormatIsoDate(date);
}

std::string ShowIsoDate(const std::string& iso, Lang lang) {
  std::optional<Date> date = ParseIsoDate(iso);
  return date ? ShowDate(*date, lang) : iso;
}






Response RenderCards(Env& env, int status, const std::string& number, const std::string& error) {
  const Lang lang = env.lang;
  std::string body = Heading(T(lang, "cards.title"));
  if (!error.empty()) body += web::RenderErrorSummary(lang, {{"number", error}});
  body += Paragraph(T(lang, "cards.intro"));
  body += "<p class=\"pw-actions\">" + LinkButton("/cards/new", T(lang, "cards.issue"), true) +
          "</p>\n";
  body += "<form class=\"pw-filter\" method=\"get\" action=\"/cards/lookup\" role=\"search\" "
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
  body += "<div class=\"pw-actions\">" +
          web::RenderButton(web::ButtonKind::kPrimary, T(lang, "cards.lookup_submit")) +
          "</div></form>\n";
  return web::HtmlPage(UserChrome(env, "cards"), status, T(lang, "cards.title"), body);
}

Response GetCards(Env& env) {
  if (!MayWorkWithCards(env.session->user)) return Forbidden(env);
  return RenderCards(env, 200, "", "");
}

Response GetCardLookup(Env& env) {
  const Lang lang = env.lang;
  if (!MayWorkWithCards(env.session->user)) return Forbidden(env);
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

std::string ReasonForm(Env& env, const std::string& number, std::string_view action,
                       std::string_view heading_key, std::string_view label_key,
                       std::string_view hint_key, std::string_view button_key,
                       const CardForms& forms) {
  const Lang lang = env.lang;
  std::string field_name = std::string(action) + "_reason";
  std::string heading_id = "card-" + std::string(action) + "-heading";
  std::string html = "<section class=\"pw-card-action\" aria-labelledby=\"" + heading_id +
                     "\"><h3 class=\"kern-heading-small\" id=\"" + heading_id + "\">" +
                     Escape(T(lang, heading_key)) + "</h3>";
  html += "<form class=\"pw-form\" method=\"post\" action=\"/cards/" + number + "/" +
          std::string(action) + "\" novalidate>" + web::CsrfInput(env.session->csrf_token);
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
  html += "<div class=\"pw-actions\">" +
          web::RenderButton(web::ButtonKind::kSecondary, T(lang, button_key)) +
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
      return RenderCards(env, 404, cards::FormatCardNumber(*number),
                         std::string(T(lang, "cards.not_found")));
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
    if (done == "issued" || done == "blocked" || done == "unblocked" || done == "replaced" ||
        done == "renewed") {
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
    state_html += " <span class=\"pw-state-reason\">" +
                  Escape(Tf(lang, "card.reason", {card.block_reason})) + "</span>";
  }
  body += "<section class=\"pw-section\" aria-labelledby=\"card-heading\"><h2 "
          "class=\"kern-heading-medium\" id=\"card-heading\">" +
          Escape(T(lang, "card.data")) + "</h2><dl class=\"kern-description-list\" id=\"card-data\">";
  body += DescriptionItem(T(lang, "card.number"), shown);
  body += DescriptionItem(T(lang, "card.scheme"), scheme.ok() ? scheme->name : std::string());
  body += DescriptionItemHtml(T(lang, "card.state"), state_html);
  if (!card.replaced_by.empty()) {
    body += DescriptionItemHtml(T(lang, "card.replaced_by"),
                                "<a class=\"kern-link\" href=\"/cards/" + Escape(card.replaced_by) +
                                    "\">" + Escape(cards::FormatCardNumber(card.replaced_by)) +
                                    "</a>");
  }
  body += DescriptionItem(T(lang, "card.validity"),
                          Tf(lang, "card.validity_range",
                             {ShowDate(card.valid_from, lang), ShowDate(card.valid_until, lang)}));
  body += DescriptionItem(T(lang, "card.discount_class"), card.discount_class);
  body += "</dl></section>\n";

  body += "<section class=\"pw-section\" aria-labelledby=\"holder-heading\"><h2 "
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
    body += "<section class=\"pw-section\" aria-labelledby=\"actions-heading\"><h2 "
            "class=\"kern-heading-medium\" id=\"actions-heading\">" +
            Escape(T(lang, "card.actions")) + "</h2><div class=\"pw-card-actions\">";
    if (card.state == cards::CardState::kActive) {
      body += ReasonForm(env, card.card_number, "block", "card.block_heading", "card.block_reason",
                         "card.block_hint", "card.block", forms);
    } else {
      body += ReasonForm(env, card.card_number, "unblock", "card.unblock_heading",
                         "card.unblock_reason", "", "card.unblock", forms);
    }
    body += ReasonForm(env, card.card_number, "replace", "card.replace_heading",
                       "card.replace_reason", "card.replace_hint", "card.replace", forms);
    if (scheme.ok() && scheme->rule != cards::ValidityRule::kFixed) {
      body += "<section class=\"pw-card-action\" aria-labelledby=\"card-renew-heading\"><h3 "
              "class=\"kern-heading-small\" id=\"card-renew-heading\">" +
              Escape(T(lang, "card.renew_heading")) + "</h3>" + TextBlock(T(lang, "card.renew_text")) +
              "<form class=\"pw-form\" method=\"post\" action=\"/cards/" + card.card_number +
              "/renew\">" + web::CsrfInput(env.session->csrf_token) + "<div class=\"pw-actions\">" +
              web::RenderButton(web::ButtonKind::kSecondary, T(lang, "card.renew")) +
              "</div></form></section>\n";
    }
    body += "</div></section>\n";
  }

  body += "<section class=\"pw-section\" aria-labelledby=\"history-caption\">"
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
    body += "<tr class=\"kern-table__row\"><th scope=\"row\" class=\"kern-table__header "
            "pw-nowrap\"><time datetime=\"" +
            Escape(FormatUtc(e.at)) + "\">" + Escape(web::FormatBerlinTime(e.at, lang)) +
            "</time></th><td class=\"kern-table__cell\">" + Escape(event) +
            "</td><td class=\"kern-table__cell\">" + Escape(EventDetail(e.detail, lang)) +
            "</td><td class=\"kern-table__cell\">" + Escape(e.actor) + "</td></tr>";
  }
  body += "</tbody></table></div></section>\n";
  body += "<p class=\"kern-body\"><a class=\"kern-link\" href=\"/cards\">" +
          Escape(T(lang, "card.back")) + "</a></p>\n";
  return web::HtmlPage(UserChrome(env, "cards"), status, Tf(lang, "card.title", {shown}), body);
}

Response GetCardPage(Env& env) {
  if (!MayWorkWithCards(env.session->user)) return Forbidden(env);
  return RenderCard(env, 200, env.request.path_params["number"], {});
}

Response PostCardAction(Env& env, const std::string& action) {
  const Lang lang = env.lang;
  if (!MayWorkWithCards(env.session->user)) return Forbidden(env);
  auto form = env.request.FormParams();
  if (!CsrfMatches(env.session->csrf_token, form)) return web::CsrfErrorPage(UserChrome(env, ""));
  std::optional<std::string> number = cards::NormalizeCardNumber(env.request.path_params["number"]);
  if (!number) return web::ErrorPage(UserChrome(env, ""), 404);
  const std::string field = action + "_reason";
  const std::string reason = TrimSpaces(FormValue(form, field));
  CardForms forms;
  forms.values[field] = reason;
  if (action != "renew" && (reason.empty() || reason.size() > 500)) {
    forms.errors.push_back({field, std::string(T(lang, "card.err_reason"))});
    return RenderCard(env, 422, *number, forms);
  }
  accounts::Actor actor = ActorFor(env);
  Status status;
  std::string target = *number;
  std::string done;
  if (action == "block") {
    status = env.app.cards.Block(actor, *number, reason);
    done = "blocked";
  } else if (action == "unblock") {
    status = env.app.cards.Unblock(actor, *number, reason);
    done = "unblocked";
  } else if (action == "replace") {
    Result<cards::Card> replacement = env.app.cards.Replace(actor, *number, reason);
    if (replacement.ok()) target = replacement->card_number;
    status = replacement.status();
    done = "replaced";
  } else {
    Result<cards::Card> renewed = env.app.cards.Renew(actor, *number);
    status = renewed.status();
    done = "renewed";
  }
  if (status.ok()) return Response::Redirect("/cards/" + target + "?done=" + done);
  switch (status.code()) {
    case ErrorCode::kNotFound:
      return RenderCards(env, 404, cards::FormatCardNumber(*number),
                         std::string(T(lang, "cards.not_found")));
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

constexpr std::string_view kNewCardFields[] = {"scheme",      "family_name", "given_name",
                                               "birth_date",  "street",      "postal_code",
                                               "city",        "discount_class", "valid_from"};

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

  auto text = [&](const std::string& name, std::string_view label_key, std::string_view hint_key,
                  int maxlength, bool required, std::string type = "text") {
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
  discount_options.options.push_back({"", std::string(T(lang, "newcard.discount_default")),
                                      value("discount_class").empty()});
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

  body += "<div class=\"pw-actions\">" +
          web::RenderButton(web::ButtonKind::kPrimary, T(lang, "newcard.submit")) +
          LinkButton("/cards", T(lang, "common.cancel"), false) + "</div>\n</form>\n";
  return web::HtmlPage(UserChrome(env, "cards"), status, T(lang, "newcard.title"), body);
}

Response GetNewCard(Env& env) {
  if (!MayWorkWithCards(env.session->user)) return Forbidden(env);
  return RenderNewCard(env, 200, {}, {});
}

// The form field a service error names ("holder.family_name" → "family_name").
web::FieldError CardFieldError(Lang lang, const Status& status) {
  std::string field = status.field();
  if (field.rfind("holder.", 0) == 0) field = field.substr(7);
  static const std::map<std::string, std::string_view> kMessages = {
      {"scheme", "newcard.err_scheme"},         {"family_name", "newcard.err_family_name"},
      {"given_name", "newcard.err_given_name"}, {"birth_date", "newcard.err_birth_date"},
      {"street", "newcard.err_street"},         {"postal_code", "newcard.err_postal_code"},
      {"city", "newcard.err_city"},             {"discount_class", "newcard.err_discount_class"},
      {"valid_from", "newcard.err_valid_from"}};
  auto it = kMessages.find(field);
  if (it != kMessages.end()) return {field, std::string(T(lang, it->second))};
  if (status.code() == ErrorCode::kPermissionDenied) return {"", std::string(T(lang, "error.403_text"))};
  if (status.code() == ErrorCode::kAlreadyExists) return {"", std::string(T(lang, "newcard.err_taken"))};
  return {"", status.message()};
}

Response PostCards(Env& env) {
  const Lang lang = env.lang;
  if (!MayWorkWithCards(env.session->user)) return Forbidden(env);
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
  const User& user = env.session->user;
  if (!MayManagePartners(user)) return out;
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
      if (!InMunicipality(user, partner->second.municipality_id)) continue;
      shown.partner = partner->second.name;
      if (a.subject.rfind("partner_key:", 0) == 0) {
        std::optional<int64_t> key_id = ParseId(std::string_view(a.subject).substr(12));
        if (auto keys = env.app.partners.ListKeys(partner->second.id); keys.ok() && key_id) {
          for (const checks::PartnerKey& k : *keys) {
            if (k.id == *key_id) shown.key_prefix = k.prefix;
          }
        }
      }
    } else if (user.role != Role::kOperator) {
      continue;
    }
    out.push_back(std::move(shown));
  }
  return out;
}

std::string AlertsSection(Env& env) {
  const Lang lang = env.lang;
  if (!MayManagePartners(env.session->user)) return "";
  std::vector<ShownAlert> alerts = VisibleAlerts(env);
  std::string html = "<section class=\"pw-section\" aria-labelledby=\"alerts-heading\"><h2 "
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
    std::string partner = shown.partner.empty() ? std::string(T(lang, "alerts.unknown_partner"))
                                                : shown.partner;
    std::string text;
    if (a.kind == "card_locked") {
      text = Tf(lang, "alerts.card_locked_text", {partner});
    } else if (a.kind == "key_suspended") {
      text = Tf(lang, "alerts.key_suspended_text", {shown.key_prefix, partner});
    } else {
      text = a.detail;
    }
    std::string body = "<p class=\"kern-body\"><time datetime=\"" + Escape(FormatUtc(a.at)) + "\">" +
                       Escape(when) + "</time></p>" + TextBlock(text) +
                       "<form class=\"pw-inline-form\" method=\"post\" action=\"/alerts/" +
                       std::to_string(a.id) + "/acknowledge\">" +
                       web::CsrfInput(env.session->csrf_token) +
                       web::RenderButton(web::ButtonKind::kSecondary, T(lang, "alerts.acknowledge"),
                                         "aria-label=\"" +
                                             Escape(Tf(lang, "alerts.acknowledge_named", {title, when})) +
                                             "\"") +
                       "</form>";
    html += "<li id=\"alert-" + std::to_string(a.id) + "\">" +
            web::RenderAlert(web::AlertKind::kWarning, title, body, false) + "</li>";
  }
  html += "</ul></section>\n";
  return html;
}

Response PostAcknowledgeAlert(Env& env) {
  if (!MayManagePartners(env.session->user)) return Forbidden(env);
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
  const User& user = env.session->user;
  Result<std::vector<checks::Partner>> all = env.app.partners.ListPartners();
  if (!all.ok()) return ErrorFor(env, all.status());
  std::map<int64_t, std::string> scheme_names;
  if (auto schemes = env.app.cards.ListSchemes(); schemes.ok()) {
    for (const cards::Scheme& s : *schemes) scheme_names[s.id] = s.name;
  }
  if (notice_html.empty()) {
    static const std::pair<const char*, const char*> kNotices[] = {
        {"created", "partners.created"}, {"revoked", "partners.revoked"},
        {"reinstated", "partners.reinstated"}};
    for (const auto& [param, key] : kNotices) {
      if (env.request.QueryParam(param)) {
        notice_html = web::RenderAlert(web::AlertKind::kSuccess, T(lang, "partners.done_title"),
                                       TextBlock(T(lang, key)));
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
    if (!InMunicipality(user, p.municipality_id)) continue;
    ++shown;
    const std::string pid = std::to_string(p.id);
    body += "<section class=\"pw-section pw-partner\" aria-labelledby=\"partner-" + pid +
            "-heading\" id=\"partner-" + pid + "\"><h2 class=\"kern-heading-medium\" id=\"partner-" +
            pid + "-heading\">" + Escape(p.name) + "</h2><dl class=\"kern-description-list\">";
    std::string schemes;
    for (int64_t id : p.scheme_ids) {
      auto it = scheme_names.find(id);
      if (!schemes.empty()) schemes += ", ";
      schemes += it != scheme_names.end() ? it->second : std::to_string(id);
    }
    body += DescriptionItem(T(lang, "partners.schemes"), schemes);
    std::string origins;
    for (const std::string& o : p.origins) origins += (origins.empty() ? "" : ", ") + o;
    body += DescriptionItem(T(lang, "partners.origins"),
                            origins.empty() ? std::string(T(lang, "common.none")) : origins);
    body += "</dl>";

    Result<std::vector<checks::PartnerKey>> keys = env.app.partners.ListKeys(p.id);
    if (!keys.ok()) return ErrorFor(env, keys.status());
    if (keys->empty()) {
      body += TextBlock(T(lang, "partners.no_keys"));
    } else {
      const std::string caption_id = "partner-" + pid + "-keys";
      body += "<div class=\"kern-table-responsive pw-table-wrap\" role=\"region\" aria-labelledby=\"" +
              caption_id + "\" tabindex=\"0\"><table class=\"kern-table kern-table--small "
              "kern-table--striped\"><caption class=\"kern-title\" id=\"" + caption_id + "\">" +
              Escape(Tf(lang, "partners.keys_caption", {p.name})) +
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
        body += "<tr class=\"kern-table__row\" id=\"key-" + kid + "\"><th scope=\"row\" "
                "class=\"kern-table__header\"><code>" + Escape(k.prefix) + "</code></th>"
                "<td class=\"kern-table__cell\">" + Escape(KeyKindLabel(lang, k.kind)) +
                "</td><td class=\"kern-table__cell pw-nowrap\">" +
                Escape(web::FormatBerlinTime(k.created_at, lang)) +
                "</td><td class=\"kern-table__cell\">" + state +
                "</td><td class=\"kern-table__cell kern-table__cell--action\">";
        if (!k.revoked_at) {
          if (k.suspended_at) {
            body += "<form class=\"pw-inline-form\" method=\"post\" action=\"/partner-keys/" + kid +
                    "/reinstate\">" + web::CsrfInput(env.session->csrf_token) +
                    web::RenderButton(web::ButtonKind::kSecondary, T(lang, "partners.reinstate"),
                                      "aria-label=\"" +
                                          Escape(Tf(lang, "partners.reinstate_named", {k.prefix})) + "\"") +
                    "</form> ";
          }
          body += "<form class=\"pw-inline-form\" method=\"post\" action=\"/partner-keys/" + kid +
                  "/revoke\">" + web::CsrfInput(env.session->csrf_token) +
                  web::RenderButton(web::ButtonKind::kSecondary, T(lang, "partners.revoke"),
                                    "aria-label=\"" +
                                        Escape(Tf(lang, "partners.revoke_named", {k.prefix})) + "\"") +
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
              web::CsrfInput(env.session->csrf_token) + "<input type=\"hidden\" name=\"kind\" value=\"" +
              kind + "\">" +
              web::RenderButton(web::ButtonKind::kSecondary, T(lang, label_key),
                                "aria-label=\"" +
                                    Escape(Tf(lang, label_key + "_named", {p.name})) + "\"") +
              "</form>";
    }
    body += "</div></section>\n";
  }
  if (shown == 0) body += "<p class=\"kern-body pw-empty\">" + Escape(T(lang, "partners.empty")) + "</p>\n";

  // Adding a partner.
  std::vector<cards::Scheme> schemes = VisibleSchemes(env);
  body += "<section class=\"pw-section\" aria-labelledby=\"new-partner-heading\"><h2 "
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
    bool checked = std::find(values.scheme_ids.begin(), values.scheme_ids.end(), s.id) !=
                   values.scheme_ids.end();
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
  body += "<div class=\"pw-actions\">" +
          web::RenderButton(web::ButtonKind::kPrimary, T(lang, "partners.submit")) +
          "</div></form></section>\n";
  return web::HtmlPage(UserChrome(env, "partners"), status, T(lang, "partners.title"), body);
}

Response GetPartners(Env& env) {
  if (!MayManagePartners(env.session->user)) return Forbidden(env);
  return RenderPartners(env, 200, "", {}, {});
}

Response PostPartners(Env& env) {
  const Lang lang = env.lang;
  const User& user = env.session->user;
  if (!MayManagePartners(user)) return Forbidden(env);
  auto form = env.request.FormParams();
  if (!CsrfMatches(env.session->csrf_token, form)) return web::CsrfErrorPage(UserChrome(env, ""));
  PartnerForm values;
  values.name = TrimSpaces(FormValue(form, "name"));
  values.origins = FormValue(form, "origins");
  std::vector<cards::Scheme> schemes = VisibleSchemes(env);
  std::optional<int64_t> municipality;
  if (user.role != Role::kOperator) municipality = user.municipality_id;
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
  if (!MayManagePartners(env.session->user)) return Forbidden(env);
  auto form = env.request.FormParams();
  if (!CsrfMatches(env.session->csrf_token, form)) return web::CsrfErrorPage(UserChrome(env, ""));
  std::optional<int64_t> id = ParseId(env.request.path_params["id"]);
  std::string kind = FormValue(form, "kind");
  if (!id || (kind != "server" && kind != "publishable")) return web::ErrorPage(UserChrome(env, ""), 404);
  std::string partner_name;
  if (auto list = env.app.partners.ListPartners(); list.ok()) {
    for (const checks::Partner& p : *list) {
      if (p.id == *id && InMunicipality(env.session->user, p.municipality_id)) partner_name = p.name;
    }
  }
  if (partner_name.empty()) return web::ErrorPage(UserChrome(env, ""), 404);
  Result<checks::CreatedPartnerKey> created = env.app.partners.CreateKey(ActorFor(env), *id, kind);
  if (!created.ok()) {
    if (created.status().code() == ErrorCode::kPermissionDenied) return Forbidden(env);
    return ErrorFor(env, created.status());
  }
  std::string body = Heading(T(lang, "newkey.title"));
  body += web::RenderAlert(web::AlertKind::kWarning, T(lang, "newkey.once_title"),
                           TextBlock(T(lang, "newkey.once_text")));
  body += "<dl class=\"kern-description-list\">";
  body += DescriptionItem(T(lang, "newkey.partner"), partner_name);
  body += DescriptionItem(T(lang, "partners.col_kind"), KeyKindLabel(lang, kind));
  body += DescriptionItem(T(lang, "partners.col_prefix"), created->key.prefix);
  body += "</dl>";
  body += "<h2 class=\"kern-heading-small pw-secret-heading\">" + Escape(T(lang, "newkey.secret")) +
          "</h2><p class=\"pw-secret pw-secret--key\"><code id=\"partner-secret\">" +
          Escape(created->secret) + "</code></p>";
  body += TextBlock(T(lang, kind == "publishable" ? "newkey.publishable_hint" : "newkey.server_hint"));
  body += "<p class=\"pw-actions\">" + LinkButton("/partners", T(lang, "newkey.back"), true) + "</p>\n";
  return web::HtmlPage(UserChrome(env, "partners"), 201, T(lang, "newkey.title"), body);
}

Response PostKeyState(Env& env, bool revoke) {
  const Lang lang = env.lang;
  if (!MayManagePartners(env.session->user)) return Forbidden(env);
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
      return RenderPartners(env, 409,
                            web::RenderAlert(web::AlertKind::kDanger, T(lang, "partners.action_failed"),
                                             TextBlock(T(lang, revoke ? "partners.err_revoke"
                                                                      : "partners.err_reinstate"))),
                            {}, {});
    default:
      return ErrorFor(env, status);
  }
}


// ---- Guest cards: spa-tax statistics (staff) and registrations (landlords) ----

bool MayReadStatistics(const User& user) {
  return user.role == Role::kOperator || user.role == Role::kMunicipalityAdmin || user.role == Role::kClerk ||
         user.role == Role::kAuditor;
}

std::string Euro(int64_t cents, Lang lang) {
  char buffer[48];
  const char* sep = lang == Lang::kEn ? "." : ",";
  std::snprintf(buffer, sizeof buffer, "%lld%s%02lld €", static_cast<long long>(cents / 100), sep,
                static_cast<long long>(cents % 100));
  return buffer;
}

struct StatisticsQuery {
  int64_t municipality_id = 0;
  std::string municipality_number;
  int year = 0;
  guestcards::StatisticsBy by = guestcards::StatisticsBy::kMonth;
};

std::optional<StatisticsQuery> ReadStatisticsQuery(Env& env) {
  StatisticsQuery q;
  q.year = ::passwerk::BerlinDate(env.app.clock.NowUnix()).year;
  if (auto y = env.request.QueryParam("year");
      y && y->size() == 4 && std::all_of(y->begin(), y->end(), [](char c) { return c >= '0' && c <= '9'; })) {
    q.year = std::stoi(*y);
  }
  if (auto by = guestcards::ParseStatisticsBy(env.request.QueryParam("by").value_or("month"))) q.by = *by;
  auto municipalities = env.app.accounts.ListMunicipalities();
  if (!municipalities.ok()) return std::nullopt;
  std::string wanted = env.request.QueryParam("municipality").value_or("");
  const User& user = env.session->user;
  const bool any = user.role == Role::kOperator || user.role == Role::kAuditor;
  for (const auto& m : *municipalities) {
    bool own = user.municipality_id && *user.municipality_id == m.id;
    bool pick = wanted.empty() ? (own || (any && q.municipality_id == 0)) : (m.municipality_number == wanted && (own || any));
    if (pick) {
      q.municipality_id = m.id;
      q.municipality_number = m.municipality_number;
    }
  }
  if (q.municipality_id == 0) return std::nullopt;
  return q;
}

std::string StatisticsChart(const guestcards::SpaTaxStatistics& stats, Lang lang) {
  int64_t max = 0;
  for (const auto& c : stats.cells) max = std::max(max, c.suppressed ? 0 : c.overnight_stays);
  if (max == 0) return "";
  const int bar_height = 22, gap = 8, label_width = 120, chart_width = 520;
  const int height = static_cast<int>(stats.cells.size()) * (bar_height + gap) + gap;
  std::string svg = "<figure class=\"pw-chart\"><svg role=\"img\" aria-labelledby=\"chart-title\" viewBox=\"0 0 " +
                    std::to_string(label_width + chart_width + 90) + " " + std::to_string(height) +
                    "\" width=\"100%\"><title id=\"chart-title\">" + Escape(T(lang, "stats.chart_title")) + "</title>";
  int y = gap;
  for (const auto& c : stats.cells) {
    svg += "<text x=\"0\" y=\"" + std::to_string(y + 16) + "\" font-size=\"14\" fill=\"#1b1b1b\">" + Escape(c.key) +
           "</text>";
    if (c.suppressed) {
      svg += "<text x=\"" + std::to_string(label_width) + "\" y=\"" + std::to_string(y + 16) +
             "\" font-size=\"14\" fill=\"#4a4a4a\">" + Escape(T(lang, "stats.suppressed_short")) + "</text>";
    } else {
      int width = static_cast<int>(c.overnight_stays * chart_width / max);
      svg += "<rect x=\"" + std::to_string(label_width) + "\" y=\"" + std::to_string(y) + "\" width=\"" +
             std::to_string(std::max(width, 1)) + "\" height=\"" + std::to_string(bar_height) +
             "\" fill=\"#1c4f8f\"></rect><text x=\"" + std::to_string(label_width + width + 6) + "\" y=\"" +
             std::to_string(y + 16) + "\" font-size=\"14\" fill=\"#1b1b1b\">" + std::to_string(c.overnight_stays) +
             "</text>";
    }
    y += bar_height + gap;
  }
  svg += "</svg><figcaption class=\"kern-body kern-body--small\">" + Escape(T(lang, "stats.chart_caption")) +
         "</figcaption></figure>";
  return svg;
}

std::string StatisticsQueryString(const StatisticsQuery& q) {
  return "municipality=" + q.municipality_number + "&year=" + std::to_string(q.year) + "&by=" +
         std::string(guestcards::StatisticsByName(q.by));
}

Response GetStatistics(Env& env) {
  const Lang lang = env.lang;
  if (!MayReadStatistics(env.session->user)) return Forbidden(env);
  std::string body = Heading(T(lang, "stats.title"));
  body += Paragraph(T(lang, "stats.intro"));
  auto query = ReadStatisticsQuery(env);
  if (!query) {
    body += Paragraph(T(lang, "stats.no_municipality"));
    return web::HtmlPage(UserChrome(env, "statistics"), 200, T(lang, "stats.title"), body);
  }
  body += "<form class=\"pw-filter\" method=\"get\" action=\"/statistics\" aria-labelledby=\"stats-filter\" "
          "novalidate><h2 class=\"kern-heading-small\" id=\"stats-filter\">" +
          Escape(T(lang, "stats.filter")) + "</h2><input type=\"hidden\" name=\"municipality\" value=\"" +
          Escape(query->municipality_number) + "\">";
  web::SelectField year;
  year.name = "year";
  year.label = T(lang, "stats.year");
  year.groups.push_back({});
  int this_year = ::passwerk::BerlinDate(env.app.clock.NowUnix()).year;
  for (int y = this_year + 1; y >= this_year - 4; --y) {
    year.groups[0].options.push_back({std::to_string(y), std::to_string(y), y == query->year});
  }
  body += web::RenderSelect(year);
  web::SelectField by;
  by.name = "by";
  by.label = T(lang, "stats.by");
  by.groups.push_back({});
  for (auto b : {guestcards::StatisticsBy::kMonth, guestcards::StatisticsBy::kOrigin,
                 guestcards::StatisticsBy::kAgeBand, guestcards::StatisticsBy::kAccommodation}) {
    std::string name(guestcards::StatisticsByName(b));
    by.groups[0].options.push_back({name, std::string(T(lang, "stats.by_" + name)), b == query->by});
  }
  body += web::RenderSelect(by);
  body += "<div class=\"pw-actions\">" + web::RenderButton(web::ButtonKind::kPrimary, T(lang, "stats.show")) +
          "</div></form>\n";
  auto stats = guestcards::ComputeSpaTaxStatistics(env.app.guest_db, ActorFor(env), query->municipality_id,
                                                   query->year, query->by);
  if (!stats.ok()) return ErrorFor(env, stats.status());
  env.app.registrations.LabelAccommodations(ActorFor(env), *stats, /*by_name=*/true);
  if (stats->cells.empty()) {
    body += Paragraph(T(lang, "stats.empty"));
    return web::HtmlPage(UserChrome(env, "statistics"), 200, T(lang, "stats.title"), body);
  }
  body += StatisticsChart(*stats, lang);
  body += "<div class=\"kern-table-responsive pw-table-wrap\" role=\"region\" aria-labelledby=\"stats-caption\" "
          "tabindex=\"0\"><table class=\"kern-table kern-table--small kern-table--striped\"><caption "
          "class=\"kern-title\" id=\"stats-caption\">" +
          Escape(Tf(lang, "stats.caption", {std::to_string(query->year)})) +
          "</caption><thead><tr class=\"kern-table__row\">";
  for (std::string key : {"stats.by_" + std::string(guestcards::StatisticsByName(query->by)),
                          std::string("stats.col_guests"), std::string("stats.col_stays"),
                          std::string("stats.col_tax")}) {
    body += "<th scope=\"col\" class=\"kern-table__header\">" + Escape(T(lang, key)) + "</th>";
  }
  body += "</tr></thead><tbody class=\"kern-table__body\">";
  auto row = [&](const guestcards::StatisticsCell& c, const std::string& label) {
    body += "<tr class=\"kern-table__row\"><th scope=\"row\" class=\"kern-table__header\">" + Escape(label) + "</th>";
    if (c.suppressed) {
      body += "<td class=\"kern-table__cell\" colspan=\"3\">" + Escape(T(lang, "stats.suppressed")) + "</td>";
    } else {
      body += "<td class=\"kern-table__cell\">" + std::to_string(c.guests) + "</td><td class=\"kern-table__cell\">" +
              std::to_string(c.overnight_stays) + "</td><td class=\"kern-table__cell\">" +
              Escape(Euro(c.spa_tax_cents, lang)) + "</td>";
    }
    body += "</tr>";
  };
  for (const auto& c : stats->cells) row(c, c.key == "unknown" ? std::string(T(lang, "stats.unknown")) : c.key);
  row(stats->total, std::string(T(lang, "stats.total")));
  body += "</tbody></table></div>\n";
  body += "<p class=\"pw-actions\">" +
          LinkButton("/statistics.csv?" + StatisticsQueryString(*query), T(lang, "stats.csv"), false) + "</p>\n";
  return web::HtmlPage(UserChrome(env, "statistics"), 200, T(lang, "stats.title"), body);
}

Response GetStatisticsCsv(Env& env) {
  if (!MayReadStatistics(env.session->user)) return Forbidden(env);
  auto query = ReadStatisticsQuery(env);
  if (!query) return web::ErrorPage(UserChrome(env, ""), 404);
  auto stats = guestcards::ComputeSpaTaxStatistics(env.app.guest_db, ActorFor(env), query->municipality_id,
                                                   query->year, query->by);
  if (!stats.ok()) return ErrorFor(env, stats.status());
  env.app.registrations.LabelAccommodations(ActorFor(env), *stats, /*by_name=*/true);
  Response response;
  response.status = 200;
  response.content_type = "text/csv; charset=utf-8";
  response.body = guestcards::StatisticsCsv(*stats);
  response.AddHeader("Content-Disposition", "attachment; filename=\"kurabgabe-" + std::to_string(query->year) + "-" +
                                                std::string(guestcards::StatisticsByName(query->by)) + ".csv\"");
  return response;
}

// Landlords: their registrations and the registration form (Meldeschein).
constexpr int kMaxFormGuests = 8;
constexpr std::string_view kGuestFields[] = {"family_name", "given_name", "birth_date", "nationality", "gender",
                                             "street",      "postal_code", "city",      "country"};

bool IsLandlordUser(const User& user) { return user.role == Role::kLandlord; }

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
    extras.options.push_back({prefix + "card", std::string(T(lang, "reg.card")),
                              values.empty() || !value_of(prefix + "card").empty()});
    body += web::RenderCheckboxes(extras);
    body += "</fieldset>";
  }
  web::CheckboxGroup consent;
  consent.name = "consent";
  consent.legend = T(lang, "reg.consent_legend");
  consent.options.push_back({"marketing_consent", std::string(T(lang, "reg.consent")),
                             !value_of("marketing_consent").empty()});
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
  if (!IsLandlordUser(env.session->user) && !MayWorkWithCards(env.session->user)) return Forbidden(env);
  return RenderRegistrationForm(env, 200, {}, GuestCountOf(env.request.QueryParam("guests").value_or("2")), {});
}

Response PostRegistration(Env& env) {
  const Lang lang = env.lang;
  if (!IsLandlordUser(env.session->user) && !MayWorkWithCards(env.session->user)) return Forbidden(env);
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
  page += web::RenderAlert(web::AlertKind::kSuccess, T(lang, "reg.done_alert"),
                           "<p class=\"kern-body\">" + Escape(Tf(lang, "reg.done_number", {result->registration_number})) +
                               "</p>");
  page += "<dl class=\"kern-description-list\">";
  page += DescriptionItem(T(lang, "reg.total"), Euro(result->total_cents, lang));
  for (size_t i = 0; i < result->guests.size(); ++i) {
    page += DescriptionItem(Tf(lang, "reg.guest", {std::to_string(i + 1)}),
                            Tf(lang, "reg.guest_tax", {std::to_string(result->guests[i].nights),
                                                       Euro(result->guests[i].amount_cents, lang)}));
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
  if (!IsLandlordUser(env.session->user) && !MayWorkWithCards(env.session->user)) return Forbidden(env);
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
      std::string where = p.line <= 0         ? std::string(T(lang, "common.file"))
                          : p.column.empty() ? Tf(lang, "common.line", {std::to_string(p.line)})
                                             : Tf(lang, "common.line_column", {std::to_string(p.line), p.column});
      errors.push_back({"csv_file", where + ": " + p.message});
    }
    return refuse(errors);
  }
  const std::string file_name = file->file_name.empty() ? "CSV" : file->file_name;
  std::string page = Heading(T(lang, "reg.csv_done_title"));
  page += web::RenderAlert(
      web::AlertKind::kSuccess, T(lang, "reg.done_alert"),
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
                    Escape(Tf(lang, "reg.csv_card", {std::to_string(card.guest_index + 1),
                                                     cards::FormatCardNumber(card.card_number)}));
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
  if (!IsLandlordUser(env.session->user) && !MayWorkWithCards(env.session->user)) return Forbidden(env);
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
      "1;" + accommodation + ";29.03.2026;03.04.2026;Zauberlehrling;Erika;01.05.1980;DE;w;Hauptstraße 5;91052;"
      "Erlangen;DE;;ja\r\n"
      "1;" + accommodation + ";29.03.2026;03.04.2026;Zauberlehrling;Max;01.06.2015;DE;m;Hauptstraße 5;91052;"
      "Erlangen;DE;;ja\r\n";
  response.AddHeader("Content-Disposition", "attachment; filename=\"meldescheine-vorlage.csv\"");
  return response;
}

Response GetRegistrations(Env& env) {
  const Lang lang = env.lang;
  if (!IsLandlordUser(env.session->user) && !MayWorkWithCards(env.session->user)) return Forbidden(env);
  std::string body = Heading(T(lang, "reg.title"));
  body += Paragraph(T(lang, "reg.intro"));
  body += "<p class=\"pw-actions\">" + LinkButton("/registrations/new", T(lang, "reg.new"), true) + "</p>\n";
  auto list = env.app.registrations.ListRegistrations(ActorFor(env), 200);
  if (!list.ok()) return ErrorFor(env, list.status());
  if (list->empty()) {
    body += Paragraph(T(lang, "reg.empty"));
    return web::HtmlPage(UserChrome(env, "registrations"), 200, T(lang, "reg.title"), body);
  }
  body += "<div class=\"kern-table-responsive pw-table-wrap\" role=\"region\" aria-labelledby=\"reg-caption\" "
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

  router.Add("GET", "/cards", "web_cards", Protected(app, GetCards));
  router.Add("GET", "/cards/lookup", "web_card_lookup", Protected(app, GetCardLookup));
  router.Add("GET", "/cards/new", "web_card_new", Protected(app, GetNewCard));
  router.Add("POST", "/cards", "web_card_issue", Protected(app, PostCards));
  router.Add("GET", "/cards/{number}", "web_card", Protected(app, GetCardPage));
  for (const char* what : {"block", "unblock", "replace", "renew"}) {
    std::string action = what;
    router.Add("POST", "/cards/{number}/" + action, "web_card_" + action,
               Protected(app, [action](Env& env) { return PostCardAction(env, action); }));
  }
  router.Add("POST", "/alerts/{id}/acknowledge", "web_alert_acknowledge",
             Protected(app, PostAcknowledgeAlert));
  router.Add("GET", "/statistics", "web_statistics", Protected(app, GetStatistics));
  router.Add("GET", "/statistics.csv", "web_statistics_csv", Protected(app, GetStatisticsCsv));
  router.Add("GET", "/registrations", "web_registrations", Protected(app, GetRegistrations));
  router.Add("GET", "/registrations/new", "web_registration_new", Protected(app, GetNewRegistration));
  router.Add("POST", "/registrations", "web_registration_create", Protected(app, PostRegistration));
  router.Add("POST", "/registrations/csv", "web_registration_csv", Protected(app, PostRegistrationCsv));
  router.Add("GET", "/registrations/vorlage.csv", "web_registration_csv_template",
             Protected(app, GetRegistrationCsvTemplate));
  RegisterCardStockPages(router, app);
  router.Add("GET", "/partners", "web_partners", Protected(app, GetPartners));
  router.Add("POST", "/partners", "web_partner_create", Protected(app, PostPartners));
  router.Add("POST", "/partners/{id}/keys", "web_partner_key_create", Protected(app, PostPartnerKey));
  router.Add("POST", "/partner-keys/{id}/revoke", "web_partner_key_revoke",
             Protected(app, [](Env& env) { return PostKeyState(env, true); }));
  router.Add("POST", "/partner-keys/{id}/reinstate", "web_partner_key_reinstate",
             Protected(app, [](Env& env) { return PostKeyState(env, false); }));
}

}  // namespace passwerk::http
