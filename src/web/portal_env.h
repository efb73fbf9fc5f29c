// What every page of the citizen portal shares: the request environment
// (citizen session, language, cookies to set), the portal's chrome with its
// navigation and the test sign-in's banner, and the access check against the
// citizen policy (accounts/citizen_policy.h), with its sign-in and step-up
// answers. The pages are portal_pages.cpp (the frame, account, cards) and
// portal_signin_pages.cpp (sign-in by BundID, OIDC and the test sign-in).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "accounts/citizen_policy.h"
#include "http/context.h"
#include "http/router.h"
#include "portal/citizen_accounts.h"
#include "web/html.h"
#include "web/i18n.h"

namespace passwerk::web {

// Binds a started sign-in to the browser that started it (login CSRF). Under
// TLS its name carries the __Host- prefix, so that no sibling host and no
// plain-HTTP page can plant a value of their own (SignInCookieName).
inline constexpr std::string_view kCitizenSignInCookie = "pw_citizen_signin";
// Double-submit token for the test sign-in form, before any session exists.
inline constexpr std::string_view kCitizenFormCookie = "pw_citizen_form";

struct PortalEnv {
  http::AppContext& app;
  http::Request& request;
  Lang lang = Lang::kDe;
  std::optional<portal::CitizenSession> session;
  bool had_cookie = false;  // a session cookie came, live or not
  std::vector<std::string> set_cookies;
};

using PortalHandler = std::function<http::Response(PortalEnv&)>;
// Language choice, the citizen session and the cookies a handler asked for.
http::Handler PortalPage(http::AppContext& app, PortalHandler handler);
// A page of `service`: without a session, off to sign in at the level it
// needs; with too low a session, the step-up page that says why.
http::Handler PortalServicePage(http::AppContext& app, accounts::CitizenService service, PortalHandler handler);

// Whether cookies must carry Secure: TLS here, or an https public URL (a
// TLS-terminating proxy in front).
bool SecureCookies(const PortalEnv& env);
std::string CitizenSessionCookie(const PortalEnv& env, std::string_view token);
std::string SignInCookieName(const PortalEnv& env);
std::string ClearCitizenCookie(const PortalEnv& env, std::string_view name);

// `current`: the path of the navigation item to mark.
Chrome PortalChrome(const PortalEnv& env, std::string_view current);
http::Response PortalHtml(const PortalEnv& env, std::string_view current, int status, std::string_view title,
                          std::string_view main_html);
http::Response PortalError(const PortalEnv& env, int status, std::string_view title, std::string_view text);

// "niedrig" / "low" and so on.
std::string_view AssuranceLabel(Lang lang, accounts::Assurance level);
// /portal/login?level=…&return_to=…
std::string LoginHref(accounts::Assurance level, std::string_view return_to);
// "Chrome / Android": the session list's description of the browser.
std::string DeviceOf(const http::Request& request);
// The current request as a path to come back to.
std::string CurrentPath(const http::Request& request);

}  // namespace passwerk::web
