// What every staff page handler shares: the request environment (session,
// language, cookies to set), the page wrappers (Page, Protected), the staff
// chrome with its navigation, and small form and format helpers. The pages
// themselves live in one file per area (areas.h).
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "accounts/accounts.h"
#include "cards/cards.h"
#include "core/dates.h"
#include "http/context.h"
#include "http/router.h"
#include "web/html.h"
#include "web/i18n.h"

namespace passwerk::web {

// Pages are handlers of the http layer: they take its request and answer with
// its response.
using accounts::AccountService;
using accounts::Role;
using accounts::Session;
using accounts::User;
using http::AppContext;
using http::FormPart;
using http::Handler;
using http::HttpStatusFor;
using http::Request;
using http::Response;
using http::Router;
using http::UrlDecode;
using http::UrlEncode;

inline constexpr std::string_view kSessionCookie = "pw_session";
// Double-submit token for the sign-in form, before any session exists.
inline constexpr std::string_view kLoginCsrfCookie = "pw_csrf";

struct Env {
  AppContext& app;
  Request& request;
  web::Lang lang = web::Lang::kDe;
  std::optional<std::string> token;          // the pw_session cookie, if any
  std::optional<accounts::Session> session;  // the live session behind it (any stage)
  std::vector<std::string> set_cookies;
};

std::string CookieAttributes(const Request& request);
std::string SessionCookie(const Request& request, std::string_view token);
std::string ClearCookie(const Request& request, std::string_view name);
void LoadSession(Env& env);
bool IsFull(const Env& env);
accounts::Actor ActorFor(const Env& env);
std::string RoleLabel(web::Lang lang, accounts::Role role);
// The chrome of a signed-in page; `current` marks the navigation item.
web::Chrome UserChrome(const Env& env, std::string_view current);

using PageHandler = std::function<Response(Env&)>;
// Language choice and the cookies a handler asked for, around every page.
Handler Page(AppContext& app, PageHandler handler);
// Where someone with this (possibly partial) session belongs.
std::string HomeFor(const Env& env);
// Pages that need a full (password + TOTP) session.
Handler Protected(AppContext& app, PageHandler handler);

bool CsrfMatches(std::string_view expected, const std::map<std::string, std::string>& form);
std::string FormValue(const std::map<std::string, std::string>& form, const std::string& name);
std::string TrimSpaces(std::string_view s);
std::optional<int64_t> ParseId(std::string_view text);
Response Forbidden(const Env& env);
Response ErrorFor(const Env& env, const Status& status);
std::string Heading(std::string_view text);
std::string Paragraph(std::string_view text);
std::string DescriptionItem(std::string_view key, std::string_view value);
std::string MessageFor(const std::vector<web::FieldError>& errors, std::string_view field);
std::string LinkButton(std::string_view href, std::string_view label, bool primary);
std::string TextBlock(std::string_view text);
std::string DescriptionItemHtml(std::string_view key, std::string_view value_html);
std::string Badge(std::string_view kind, std::string_view label);
// A KERN table in its scrollable, labelled region, up to the open <tbody>;
// `cols` are text keys of the column headers.
std::string TableStart(const std::string& id, std::string_view caption, const std::vector<std::string_view>& cols,
                       web::Lang lang);
std::string Cell(std::string_view text);
// <section> with its labelling <h2>; the caller closes the section.
std::string SectionStart(const std::string& id, std::string_view title);

// A date as the reader writes it: 24.12.2026 in German, 2026-12-24 in English;
// the ISO form is shown as given when it does not parse.
std::string ShowDate(const Date& date, Lang lang);
std::string ShowIsoDate(const std::string& iso, Lang lang);
// An amount of cents as "1234,50 €" (German) or "1234.50 €" (English): without
// grouping, so that it reads back as it would be typed into an amount field.
std::string Euro(int64_t cents, Lang lang);
// The names of all municipalities by id (for tables that show ids' names).
std::map<int64_t, std::string> MunicipalityNames(AppContext& app);
// The municipality a page for `action` works on: a staff user's own; for
// those who reach every municipality the one numbered `wanted`, or the first
// when nothing is asked for.
std::optional<accounts::Municipality> PageMunicipality(Env& env, const std::string& wanted, accounts::Action action);

// Whether the signed-in user may take `action` (on `resource`): the access
// policy (accounts/policy.h) decides, as it does for the API.
bool Can(const Env& env, accounts::Action action, const accounts::Resource& resource = {});
// Can(env, action, the municipality), for rows of lists.
bool CanIn(const Env& env, accounts::Action action, int64_t municipality_id);
// The card schemes whose cards this user manages (a clerk: their departments).
std::vector<cards::Scheme> VisibleSchemes(Env& env);

}  // namespace passwerk::web
