// The portal's request environment, chrome and access checks.
#include "web/portal_env.h"

#include "web/page_env.h"

namespace passwerk::web {

bool SecureCookies(const PortalEnv& env) {
  return env.request.tls || env.app.portal.public_url.rfind("https://", 0) == 0;
}

std::string CitizenSessionCookie(const PortalEnv& env, std::string_view token) {
  // Lax, not Strict: the redirect into the portal that follows the identity
  // provider's cross-site POST must carry it.
  return std::string(http::kCitizenSessionCookie) + "=" + std::string(token) + "; Path=/; HttpOnly; SameSite=Lax" +
         (SecureCookies(env) ? "; Secure" : "");
}

std::string SignInCookieName(const PortalEnv& env) {
  return SecureCookies(env) ? "__Host-" + std::string(kCitizenSignInCookie) : std::string(kCitizenSignInCookie);
}

std::string ClearCitizenCookie(const PortalEnv& env, std::string_view name) {
  return std::string(name) + "=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0" + (SecureCookies(env) ? "; Secure" : "");
}

http::Handler PortalPage(http::AppContext& app, PortalHandler handler) {
  return [&app, handler = std::move(handler)](http::Request& request) {
    LanguageChoice choice = ChooseLanguage(request);
    PortalEnv env{app, request, choice.lang, std::nullopt, false, {}};
    if (std::optional<std::string> token = request.Cookie(http::kCitizenSessionCookie); token && !token->empty()) {
      env.had_cookie = true;
      auto session = app.citizens.GetSession(*token);
      if (session.ok()) {
        env.session = std::move(*session);
      } else if (session.status().code() == ErrorCode::kUnauthenticated) {
        env.set_cookies.push_back(ClearCitizenCookie(env, http::kCitizenSessionCookie));
      } else {
        return ErrorPage(request, 503);
      }
    }
    http::Response response = handler(env);
    if (choice.from_query) response.AddHeader("Set-Cookie", LanguageCookie(choice.lang, request.tls));
    for (std::string& cookie : env.set_cookies) response.AddHeader("Set-Cookie", std::move(cookie));
    return response;
  };
}

std::string_view AssuranceLabel(Lang lang, accounts::Assurance level) {
  switch (level) {
    case accounts::Assurance::kLow:
      return T(lang, "portal.level.low");
    case accounts::Assurance::kSubstantial:
      return T(lang, "portal.level.substantial");
    case accounts::Assurance::kHigh:
      return T(lang, "portal.level.high");
  }
  return "";
}

std::string LoginHref(accounts::Assurance level, std::string_view return_to) {
  return "/portal/login?level=" + std::string(accounts::AssuranceName(level)) +
         "&return_to=" + http::UrlEncode(return_to);
}

std::string DeviceOf(const http::Request& request) {
  return portal::DeviceFromUserAgent(request.Header("user-agent").value_or(""));
}

std::string CurrentPath(const http::Request& request) {
  return request.query.empty() ? request.path : request.path + "?" + request.query;
}

http::Handler PortalServicePage(http::AppContext& app, accounts::CitizenService service, PortalHandler handler) {
  return PortalPage(app, [service, handler = std::move(handler)](PortalEnv& env) {
    std::optional<accounts::Assurance> level;
    if (env.session) level = env.session->assurance;
    const accounts::Assurance needed = accounts::RequiredAssurance(service);
    switch (accounts::DecideCitizenAccess(level, service)) {
      case accounts::CitizenAccess::kAllowed:
        return handler(env);
      case accounts::CitizenAccess::kSignInNeeded:
        return http::Response::Redirect(LoginHref(needed, CurrentPath(env.request)));
      case accounts::CitizenAccess::kStepUpNeeded:
        break;
    }
    const Lang lang = env.lang;
    std::string body = "<h1 class=\"kern-heading-large\">" + Escape(T(lang, "portal.stepup.title")) + "</h1>\n";
    body += "<p class=\"kern-body\">" +
            Escape(Tf(lang, "portal.stepup.text",
                      {AssuranceLabel(lang, needed), AssuranceLabel(lang, env.session->assurance)})) +
            "</p>\n";
    body += "<p class=\"kern-body\">" + Escape(T(lang, "portal.stepup.how")) + "</p>\n";
    body += "<p class=\"kern-body\"><a class=\"kern-btn kern-btn--primary\" id=\"step-up\" href=\"" +
            Escape(LoginHref(needed, CurrentPath(env.request))) + "\"><span class=\"kern-label\">" +
            Escape(T(lang, "portal.stepup.button")) + "</span></a></p>\n";
    return PortalHtml(env, "", 403, T(lang, "portal.stepup.title"), body);
  });
}

Chrome PortalChrome(const PortalEnv& env, std::string_view current) {
  Chrome chrome = AnonymousChrome(env.request, env.lang);
  chrome.brand_href = "/portal";
  chrome.tagline = std::string(T(env.lang, "portal.tagline"));
  chrome.logout_action = "/portal/logout";
  if (env.app.config.portal_test_login) chrome.banner = std::string(T(env.lang, "portal.test_banner"));
  struct Item {
    const char* href;
    const char* key;
  };
  static constexpr Item kItems[] = {
      {"/portal", "portal.nav.home"},
      {"/portal/apply", "portal.nav.apply"},
      {"/portal/applications", "portal.nav.applications"},
      {"/portal/cards", "portal.nav.cards"},
      {"/portal/mailbox", "portal.nav.mailbox"},
      {"/portal/payments", "portal.nav.payments"},
      {"/portal/discounts", "portal.nav.discounts"},
  };
  for (const Item& item : kItems) {
    chrome.nav.push_back({item.href, std::string(T(env.lang, item.key)), current == item.href});
  }
  if (env.session) {
    chrome.nav.push_back(
        {"/portal/account", std::string(T(env.lang, "portal.nav.account")), current == "/portal/account"});
    std::optional<portal::Attributes> attributes = env.app.citizens.SessionAttributes(*env.session);
    std::string name = attributes ? attributes->given_name : std::string();
    if (attributes && !attributes->family_name.empty()) name += (name.empty() ? "" : " ") + attributes->family_name;
    chrome.user_display_name = name.empty() ? std::string(T(env.lang, "portal.citizen_account")) : name;
    chrome.user_role_label = std::string(AssuranceLabel(env.lang, env.session->assurance));
    chrome.csrf_token = env.session->csrf_token;
  } else {
    chrome.nav.push_back({"/portal/login", std::string(T(env.lang, "portal.nav.login")), current == "/portal/login"});
  }
  return chrome;
}

http::Response PortalHtml(const PortalEnv& env, std::string_view current, int status, std::string_view title,
                          std::string_view main_html) {
  return HtmlPage(PortalChrome(env, current), status, title, main_html);
}

http::Response PortalError(const PortalEnv& env, int status, std::string_view title, std::string_view text) {
  std::string body = "<h1 class=\"kern-heading-large\">" + Escape(title) + "</h1>\n<p class=\"kern-body\">" +
                     Escape(text) + "</p>\n<p class=\"kern-body\"><a class=\"kern-link\" href=\"/portal\">" +
                     Escape(T(env.lang, "portal.to_start")) + "</a></p>";
  return PortalHtml(env, "", status, title, body);
}

}  // namespace passwerk::web
