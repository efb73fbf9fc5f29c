// Signing in to the citizen portal: the choice of method at a level, BundID
// (SAML 2.0: metadata, the auto-submitting request form, the assertion
// consumer), the municipality's OpenID provider (start, callback), the test
// sign-in of demonstrations, and signing out. The flows are
// portal::SignInFlows; these handlers move values between HTTP and them.
#include <algorithm>
#include <cctype>
#include <string>

#include "core/crypto.h"
#include "web/areas.h"
#include "web/assets.h"
#include "web/page_env.h"
#include "web/portal_env.h"

namespace passwerk::web {
namespace {

using accounts::Assurance;
using http::Response;

// ?level=…: absent means low; anything else but the three names is an error.
std::optional<Assurance> LevelParam(const http::Request& request, bool* bad) {
  std::optional<std::string> value = request.QueryParam("level");
  *bad = false;
  if (!value || value->empty()) return Assurance::kLow;
  std::optional<Assurance> level = accounts::ParseAssurance(*value);
  if (!level) *bad = true;
  return level;
}

Response UnknownLevel(PortalEnv& env) {
  return PortalError(env, 400, T(env.lang, "portal.login.bad_level_title"), T(env.lang, "portal.login.bad_level"));
}

Response NotReady(PortalEnv& env) {
  return PortalError(env, 503, T(env.lang, "error.500_title"), T(env.lang, "portal.login.not_ready"));
}

bool UsableToken(const std::optional<std::string>& value) {
  return value && value->size() >= 16 && value->size() <= 128 &&
         std::all_of(value->begin(), value->end(), [](unsigned char c) { return std::isalnum(c) != 0; });
}

// The browser-binding value of this browser, set as a cookie when it has
// none. The identity provider answers by a cross-site POST (SAML) or
// redirect (OIDC): under TLS the cookie is SameSite=None so that it comes
// along; a plain-HTTP trial (where browsers refuse SameSite=None) uses Lax.
std::string BrowserToken(PortalEnv& env) {
  const std::string name = SignInCookieName(env);
  std::optional<std::string> cookie = env.request.Cookie(name);
  if (UsableToken(cookie)) return *cookie;
  std::string token = crypto::RandomToken(20);
  // __Host- cookies must have Path=/ (and Secure, no Domain).
  env.set_cookies.push_back(name + "=" + token + "; HttpOnly; Max-Age=1800" +
                            (SecureCookies(env) ? "; Path=/; SameSite=None; Secure" : "; Path=/portal; SameSite=Lax"));
  return token;
}

// The test sign-in form's double-submit token, before any session exists.
std::string FormToken(PortalEnv& env) {
  std::optional<std::string> cookie = env.request.Cookie(kCitizenFormCookie);
  if (UsableToken(cookie)) return *cookie;
  std::string token = crypto::RandomToken(20);
  env.set_cookies.push_back(std::string(kCitizenFormCookie) + "=" + token +
                            "; Path=/portal; HttpOnly; SameSite=Strict" + (SecureCookies(env) ? "; Secure" : ""));
  return token;
}

// The session cookie of a signed-in browser starting a sign-in (a step-up).
std::string CurrentSession(const PortalEnv& env) {
  return env.session ? env.request.Cookie(http::kCitizenSessionCookie).value_or("") : std::string();
}

std::string ReturnTo(const http::Request& request) {
  return portal::SafeReturnTo(request.QueryParam("return_to").value_or("/portal"));
}

std::string MethodHref(std::string_view method, Assurance level, std::string_view return_to) {
  return "/portal/login/" + std::string(method) + "?level=" + std::string(accounts::AssuranceName(level)) +
         "&return_to=" + http::UrlEncode(return_to);
}

SelectField LevelField(Lang lang, Assurance selected) {
  SelectField field;
  field.name = "level";
  field.label = std::string(T(lang, "portal.login.level"));
  field.hint = std::string(T(lang, "portal.login.test_level_hint"));
  SelectGroup group;
  for (Assurance level : accounts::AllAssurances()) {
    group.options.push_back(
        {std::string(accounts::AssuranceName(level)), std::string(AssuranceLabel(lang, level)), level == selected});
  }
  field.groups.push_back(group);
  return field;
}

Response RenderLogin(PortalEnv& env, Assurance level, const std::string& return_to, int status,
                     std::vector<FieldError> errors, std::string name) {
  const Lang lang = env.lang;
  portal::SignInFlows* flows = env.app.portal.Flows();
  if (flows == nullptr) return NotReady(env);
  std::string body = "<h1 class=\"kern-heading-large\">" + Escape(T(lang, "portal.login.title")) + "</h1>\n";
  if (!errors.empty()) body += RenderErrorSummary(lang, errors);
  body += "<p class=\"kern-body\" id=\"login-level\">" +
          Escape(Tf(lang, "portal.login.level_needed", {AssuranceLabel(lang, level)})) + "</p>\n";
  body += "<div class=\"pw-methods\">\n";
  if (flows->saml_enabled()) {
    body += "<p class=\"kern-body\"><a class=\"kern-btn kern-btn--primary\" id=\"login-saml\" href=\"" +
            Escape(MethodHref("saml", level, return_to)) + "\"><span class=\"kern-label\">" +
            Escape(T(lang, "portal.login.saml")) + "</span></a></p>\n";
  }
  if (flows->oidc_enabled()) {
    body += "<p class=\"kern-body\"><a class=\"kern-btn kern-btn--secondary\" id=\"login-oidc\" href=\"" +
            Escape(MethodHref("oidc", level, return_to)) + "\"><span class=\"kern-label\">" +
            Escape(T(lang, "portal.login.oidc")) + "</span></a></p>\n";
  }
  body += "</div>\n";
  if (!flows->saml_enabled() && !flows->oidc_enabled() && !flows->test_enabled()) {
    body += RenderAlert(AlertKind::kInfo, T(lang, "portal.login.none"), "", false);
  }
  if (flows->test_enabled()) {
    body += SectionStart("test-login", T(lang, "portal.login.test_title"));
    body += "<p class=\"kern-body\">" + Escape(T(lang, "portal.login.test_text")) + "</p>\n";
    body += "<form class=\"pw-form\" method=\"post\" action=\"/portal/login/test\" novalidate>\n";
    body += CsrfInput(FormToken(env));
    body += "<input type=\"hidden\" name=\"return_to\" value=\"" + Escape(return_to) + "\">\n";
    InputField name_field;
    name_field.name = "name";
    name_field.label = std::string(T(lang, "portal.login.test_name"));
    name_field.hint = std::string(T(lang, "portal.login.test_name_hint"));
    name_field.value = std::move(name);
    name_field.maxlength = 200;
    name_field.required = true;
    name_field.autocomplete = "name";
    name_field.error = MessageFor(errors, "name");
    body += RenderInput(name_field);
    body += RenderSelect(LevelField(lang, level));
    body += "<div class=\"pw-actions\">" +
            RenderButton(ButtonKind::kPrimary, T(lang, "portal.login.test_submit"), "id=\"login-test\"") +
            "</div>\n</form>\n</section>\n";
  }
  return PortalHtml(env, "/portal/login", status, T(lang, "portal.login.title"), body);
}

Response Login(PortalEnv& env) {
  bool bad = false;
  std::optional<Assurance> level = LevelParam(env.request, &bad);
  if (bad) return UnknownLevel(env);
  return RenderLogin(env, *level, ReturnTo(env.request), 200, {}, "");
}

Response TestLogin(PortalEnv& env) {
  const Lang lang = env.lang;
  portal::SignInFlows* flows = env.app.portal.Flows();
  if (flows == nullptr) return NotReady(env);
  if (!flows->test_enabled()) return ErrorPage(PortalChrome(env, ""), 404);
  auto form = env.request.FormParams();
  std::optional<std::string> cookie = env.request.Cookie(kCitizenFormCookie);
  if (!cookie || !CsrfMatches(*cookie, form)) return CsrfErrorPage(PortalChrome(env, ""));
  std::string return_to = portal::SafeReturnTo(FormValue(form, "return_to"));
  std::optional<Assurance> level = accounts::ParseAssurance(FormValue(form, "level"));
  if (!level) return UnknownLevel(env);
  std::string name = TrimSpaces(FormValue(form, "name"));
  auto session = flows->TestSignIn(name, *level, DeviceOf(env.request), env.request.request_id);
  if (session.status().code() == ErrorCode::kInvalidArgument) {
    return RenderLogin(env, *level, return_to, 422, {{"name", std::string(T(lang, "portal.login.test_name_missing"))}},
                       name);
  }
  if (!session.ok()) return ErrorPage(env.request, 503);
  if (env.session) {
    (void)env.app.citizens.SignOut(*env.request.Cookie(http::kCitizenSessionCookie), env.request.request_id);
  }
  env.set_cookies.push_back(CitizenSessionCookie(env, session->token));
  return Response::Redirect(return_to);
}

// A refused answer of an identity provider: a clear page, no session (the
// flow has audited it).
Response Refused(PortalEnv& env, const Status& why) {
  const Lang lang = env.lang;
  if (why.code() == ErrorCode::kUnavailable || why.code() == ErrorCode::kInternal) {
    return PortalError(env, 503, T(lang, "portal.refused.title"), T(lang, "portal.refused.unavailable"));
  }
  std::string_view text = T(lang, "portal.refused.text");
  const std::string& reason = why.message();
  if (reason.find("another browser") != std::string::npos) {
    text = T(lang, "portal.refused.browser");
  } else if (reason.find("too long") != std::string::npos || reason.find("expired") != std::string::npos) {
    text = T(lang, "portal.refused.expired");
  } else if (reason.find("already used") != std::string::npos ||
             reason.find("no sign-in was started") != std::string::npos) {
    text = T(lang, "portal.refused.used");
  }
  std::string body = "<h1 class=\"kern-heading-large\">" + Escape(T(lang, "portal.refused.title")) + "</h1>\n";
  body += "<p class=\"kern-body\" id=\"refusal\">" + Escape(text) + "</p>\n";
  body +=
      "<p class=\"kern-body\"><a class=\"kern-btn kern-btn--primary\" href=\"/portal/login\"><span "
      "class=\"kern-label\">" +
      Escape(T(lang, "portal.refused.again")) + "</span></a></p>\n";
  return PortalHtml(env, "", why.code() == ErrorCode::kUnauthenticated ? 401 : 400, T(lang, "portal.refused.title"),
                    body);
}

Response SamlStart(PortalEnv& env) {
  const Lang lang = env.lang;
  portal::SignInFlows* flows = env.app.portal.Flows();
  if (flows == nullptr) return NotReady(env);
  if (!flows->saml_enabled()) return ErrorPage(PortalChrome(env, ""), 404);
  bool bad = false;
  std::optional<Assurance> level = LevelParam(env.request, &bad);
  if (bad) return UnknownLevel(env);
  auto start = flows->StartSaml(*level, ReturnTo(env.request), LangCode(lang), BrowserToken(env), CurrentSession(env));
  if (!start.ok()) return Refused(env, start.status());
  std::string body = "<h1 class=\"kern-heading-large\">" + Escape(T(lang, "portal.saml.title")) + "</h1>\n";
  body += "<p class=\"kern-body\">" + Escape(T(lang, "portal.saml.text")) + "</p>\n";
  body += "<form id=\"pw-idp-form\" class=\"pw-form\" method=\"post\" action=\"" + Escape(start->form_action) + "\">\n";
  for (const auto& [name, value] : start->form_fields) {
    body += "<input type=\"hidden\" name=\"" + Escape(name) + "\" value=\"" + Escape(value) + "\">\n";
  }
  body += "<div class=\"pw-actions\">" +
          RenderButton(ButtonKind::kPrimary, T(lang, "portal.saml.continue"), "id=\"saml-continue\"") + "</div>\n";
  body += "</form>\n<script src=\"" + Escape(AssetUrl("/static/portal-autosubmit.js")) + "\"></script>\n";
  Response response = PortalHtml(env, "/portal/login", 200, T(lang, "portal.saml.title"), body);
  // The one form that leaves this host: to the identity provider's SSO endpoint.
  std::string origin = start->form_action;
  if (size_t scheme = origin.find("://"); scheme != std::string::npos) {
    size_t path = origin.find('/', scheme + 3);
    if (path != std::string::npos) origin.resize(path);
  }
  response.AddHeader("Content-Security-Policy",
                     "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
                     "connect-src 'self'; form-action 'self' " +
                         origin + "; frame-ancestors 'none'; base-uri 'none'; object-src 'none'");
  return response;
}

Response SamlAcs(PortalEnv& env) {
  portal::SignInFlows* flows = env.app.portal.Flows();
  if (flows == nullptr) return NotReady(env);
  if (!flows->saml_enabled()) return ErrorPage(PortalChrome(env, ""), 404);
  auto form = env.request.FormParams();
  std::string return_to = "/portal";
  auto session = flows->FinishSaml(FormValue(form, "SAMLResponse"), FormValue(form, "RelayState"),
                                   env.request.Cookie(SignInCookieName(env)).value_or(""), DeviceOf(env.request),
                                   env.request.request_id, &return_to);
  if (!session.ok()) return Refused(env, session.status());
  if (env.session) {
    (void)env.app.citizens.SignOut(*env.request.Cookie(http::kCitizenSessionCookie), env.request.request_id);
  }
  env.set_cookies.push_back(CitizenSessionCookie(env, session->token));
  Response response = Response::Redirect(return_to);
  response.status = 303;
  return response;
}

Response SamlMetadata(PortalEnv& env) {
  portal::SignInFlows* flows = env.app.portal.Flows();
  if (flows == nullptr) return NotReady(env);
  auto metadata = flows->SpMetadata();
  if (metadata.status().code() == ErrorCode::kNotFound) return ErrorPage(PortalChrome(env, ""), 404);
  if (!metadata.ok()) return ErrorPage(env.request, 503);
  Response response;
  response.content_type = "application/samlmetadata+xml";
  response.body = std::move(*metadata);
  response.AddHeader("Cache-Control", "public, max-age=3600");
  return response;
}

Response OidcStart(PortalEnv& env) {
  portal::SignInFlows* flows = env.app.portal.Flows();
  if (flows == nullptr) return NotReady(env);
  if (!flows->oidc_enabled()) return ErrorPage(PortalChrome(env, ""), 404);
  bool bad = false;
  std::optional<Assurance> level = LevelParam(env.request, &bad);
  if (bad) return UnknownLevel(env);
  auto start =
      flows->StartOidc(*level, ReturnTo(env.request), LangCode(env.lang), BrowserToken(env), CurrentSession(env));
  if (!start.ok()) return Refused(env, start.status());
  return Response::Redirect(start->redirect_url);
}

Response OidcCallback(PortalEnv& env) {
  portal::SignInFlows* flows = env.app.portal.Flows();
  if (flows == nullptr) return NotReady(env);
  if (!flows->oidc_enabled()) return ErrorPage(PortalChrome(env, ""), 404);
  const http::Request& request = env.request;
  std::string return_to = "/portal";
  auto session =
      flows->FinishOidc(request.QueryParam("code").value_or(""), request.QueryParam("state").value_or(""),
                        request.QueryParam("error").value_or(""), request.Cookie(SignInCookieName(env)).value_or(""),
                        DeviceOf(request), request.request_id, &return_to);
  if (!session.ok()) return Refused(env, session.status());
  if (env.session) {
    (void)env.app.citizens.SignOut(*request.Cookie(http::kCitizenSessionCookie), request.request_id);
  }
  env.set_cookies.push_back(CitizenSessionCookie(env, session->token));
  return Response::Redirect(return_to);
}

Response Logout(PortalEnv& env) {
  auto form = env.request.FormParams();
  if (env.session) {
    if (!CsrfMatches(env.session->csrf_token, form)) return CsrfErrorPage(PortalChrome(env, ""));
    Status out = env.app.citizens.SignOut(*env.request.Cookie(http::kCitizenSessionCookie), env.request.request_id);
    if (!out.ok()) return ErrorPage(env.request, 503);
  }
  env.set_cookies.push_back(ClearCitizenCookie(env, http::kCitizenSessionCookie));
  return Response::Redirect("/portal?signed_out=1");
}

}  // namespace

void RegisterPortalSignInPages(Router& router, AppContext& app) {
  router.Add("GET", "/portal/login", "portal.login", PortalPage(app, Login));
  router.Add("POST", "/portal/login/test", "portal.login.test", PortalPage(app, TestLogin));
  router.Add("GET", "/portal/login/saml", "portal.login.saml", PortalPage(app, SamlStart));
  router.Add("POST", "/portal/saml/acs", "portal.saml.acs", PortalPage(app, SamlAcs));
  router.Add("GET", "/portal/saml/metadata", "portal.saml.metadata", PortalPage(app, SamlMetadata));
  router.Add("GET", "/portal/login/oidc", "portal.login.oidc", PortalPage(app, OidcStart));
  router.Add("GET", "/portal/oidc/callback", "portal.oidc.callback", PortalPage(app, OidcCallback));
  router.Add("POST", "/portal/logout", "portal.logout", PortalPage(app, Logout));
}

}  // namespace passwerk::web
