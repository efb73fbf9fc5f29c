// Staff web pages. Sign-in: password, then the TOTP code or its first enrolment; logout.
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

#include "core/crypto.h"
#include "web/areas.h"
#include "web/html.h"
#include "web/i18n.h"
#include "web/page_env.h"
#include "web/qr_svg.h"

namespace passwerk::web {
namespace {

// --- sign-in ---

std::string LoginCsrfToken(Env& env) {
  std::optional<std::string> cookie = env.request.Cookie(kLoginCsrfCookie);
  bool usable = cookie && cookie->size() >= 16 && cookie->size() <= 128 &&
                std::all_of(cookie->begin(), cookie->end(), [](unsigned char c) { return std::isalnum(c) != 0; });
  if (usable) return *cookie;
  std::string token = crypto::RandomToken();
  env.set_cookies.push_back(std::string(kLoginCsrfCookie) + "=" + token + CookieAttributes(env.request));
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
  body +=
      "<div class=\"pw-actions\">" + web::RenderButton(web::ButtonKind::kPrimary, T(lang, "login.submit")) + "</div>\n";
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
    for (size_t i = digit; i < message.size() && i < digit + 6 && std::isdigit(static_cast<unsigned char>(message[i]));
         ++i) {
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

  Result<accounts::LoginResult> result =
      env.app.accounts.Login(username, password, env.request.remote_address, env.request.request_id);
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
  return Response::Redirect(result->next == accounts::LoginStep::kNeedEnrolment ? "/login/enrol" : "/login/totp");
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
  body +=
      "<div class=\"pw-actions\">" + web::RenderButton(web::ButtonKind::kPrimary, T(lang, "totp.submit")) + "</div>\n";
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
  Result<Session> full =
      env.app.accounts.VerifyTotp(*env.token, *code, env.request.remote_address, env.request.request_id);
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
  return VerifyCode(env, [&env](int status, std::string error) { return RenderTotp(env, status, std::move(error)); });
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
                       web::RenderAlert(web::AlertKind::kDanger, T(lang, "enrol.unavailable"), "") + RestartForm(env);
    int code = HttpStatusFor(enrolment.status().code());
    return web::HtmlPage(UserChrome(env, ""), code >= 500 ? code : 409, T(lang, "enrol.title"), body);
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
          Escape(GroupsOfFour(enrolment->secret_base32)) +
          "</code></p><p class=\"kern-body "
          "kern-body--small\">" +
          Escape(T(lang, "enrol.manual_hint")) + "</p></div>\n</div>\n";
  body += "<form class=\"pw-form\" method=\"post\" action=\"/login/enrol\" novalidate>\n";
  body += web::CsrfInput(env.session->csrf_token);
  body += web::RenderInput(CodeField(lang, std::move(error)));
  body +=
      "<div class=\"pw-actions\">" + web::RenderButton(web::ButtonKind::kPrimary, T(lang, "enrol.submit")) + "</div>\n";
  body += "</form>\n" + RestartForm(env);
  return web::HtmlPage(UserChrome(env, ""), status, T(lang, "enrol.title"), body);
}

Response GetEnrol(Env& env) {
  if (auto redirect = RequireStage(env, "enrol")) return *redirect;
  return RenderEnrol(env, 200, "");
}

Response PostEnrol(Env& env) {
  if (auto redirect = RequireStage(env, "enrol")) return *redirect;
  return VerifyCode(env, [&env](int status, std::string error) { return RenderEnrol(env, status, std::move(error)); });
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

}  // namespace

void RegisterSignInPages(Router& router, AppContext& app) {
  router.Add("GET", "/", "web_root",
             Page(app, [](Env& env) { return Response::Redirect(IsFull(env) ? "/dashboard" : "/login"); }));
  router.Add("GET", "/login", "web_login", Page(app, GetLogin));
  router.Add("POST", "/login", "web_login_submit", Page(app, PostLogin));
  router.Add("GET", "/login/totp", "web_login_totp", Page(app, GetTotp));
  router.Add("POST", "/login/totp", "web_login_totp_submit", Page(app, PostTotp));
  router.Add("GET", "/login/enrol", "web_login_enrol", Page(app, GetEnrol));
  router.Add("POST", "/login/enrol", "web_login_enrol_submit", Page(app, PostEnrol));
  router.Add("POST", "/logout", "web_logout", Page(app, PostLogout));
}

}  // namespace passwerk::web
