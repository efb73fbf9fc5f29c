// HTML building blocks for the staff pages: escaping, the page layout (skip
// link, header with language switch and logout, navigation, main, footer),
// KERN UX form fields with errors tied to them, alerts, and local time.
// Everything that reaches the page from outside goes through Escape().
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http/message.h"
#include "web/i18n.h"

namespace passwerk::web {

// Escapes & < > " ' for text content and double-quoted attribute values.
std::string Escape(std::string_view text);

struct NavItem {
  std::string href;
  std::string label;  // plain text
  bool current = false;
};

// What the layout needs about the request and the signed-in user.
struct Chrome {
  Lang lang = Lang::kDe;
  std::string path;               // current path, kept by the language switch
  std::string query;              // current raw query; its `lang` is replaced
  std::string user_display_name;  // empty: nobody signed in (no logout button)
  std::string user_role_label;
  std::string csrf_token;  // for the logout form
  std::vector<NavItem> nav;
  // The citizen portal uses the same layout with its own brand, sign-out and
  // a notice above everything (the test sign-in's banner); staff pages keep
  // the defaults.
  std::string brand_href = "/";
  std::string tagline;  // empty: the staff tagline
  std::string logout_action = "/logout";
  std::string banner;  // plain text; empty: none
};

// Chrome for a request without a signed-in user.
Chrome AnonymousChrome(const http::Request& request, Lang lang);

// "/users?x=1&lang=en": the current page in another language.
std::string LanguageSwitchHref(std::string_view path, std::string_view query, Lang target);

// The whole document; `title` is plain text, `main_html` is trusted markup.
std::string RenderLayout(const Chrome& chrome, std::string_view title, std::string_view main_html);

// RenderLayout as a response: no caching of pages (they carry personal and
// session data), Content-Language set.
http::Response HtmlPage(const Chrome& chrome, int status, std::string_view title, std::string_view main_html);

// A complete error page (403, 404, 500 …) in the layout, without user data.
// The server may use it for unmatched non-API paths.
http::Response ErrorPage(const http::Request& request, int status);
// The same inside a given chrome (with the user's header and navigation).
http::Response ErrorPage(const Chrome& chrome, int status);
// 403 for a failed CSRF check.
http::Response CsrfErrorPage(const Chrome& chrome);

// --- forms ---

struct InputField {
  std::string name;   // also the id (prefixed "f-")
  std::string label;  // plain text
  std::string value;
  std::string type = "text";
  std::string hint;   // plain text, optional
  std::string error;  // plain text, optional: marks the field invalid
  std::string autocomplete;
  std::string inputmode;
  std::string pattern;
  std::string accept;  // type="file": the file types offered (".csv,text/csv")
  int maxlength = 0;
  bool required = false;
  bool spellcheck_off = false;
};
std::string RenderInput(const InputField& field);

struct SelectOption {
  std::string value;
  std::string label;  // plain text
  bool selected = false;
};
struct SelectGroup {
  std::string label;  // empty: options without an <optgroup>
  std::vector<SelectOption> options;
};
struct SelectField {
  std::string name;
  std::string label;
  std::string hint;
  std::string error;
  std::vector<SelectGroup> groups;
  bool required = false;
};
std::string RenderSelect(const SelectField& field);

struct TextareaField {
  std::string name;
  std::string label;
  std::string value;
  std::string hint;
  std::string error;
  int rows = 3;
  int maxlength = 0;
  bool required = false;
  bool spellcheck_off = false;
};
std::string RenderTextarea(const TextareaField& field);

struct CheckboxOption {
  std::string name;   // each box its own form field (forms keep one value per name)
  std::string label;  // plain text
  bool checked = false;
};
// A fieldset of checkboxes; `name` gives the fieldset its id ("f-<name>"),
// the target of the error summary's link.
struct CheckboxGroup {
  std::string name;
  std::string legend;
  std::string hint;
  std::string error;
  std::vector<CheckboxOption> options;
};
std::string RenderCheckboxes(const CheckboxGroup& group);

// The id a field gets, for links from the error summary: "f-<name>".
std::string FieldId(std::string_view name);

std::string CsrfInput(std::string_view token);

// A KERN primary/secondary button; `label` is plain text.
enum class ButtonKind { kPrimary, kSecondary, kTertiary };
std::string RenderButton(ButtonKind kind, std::string_view label, std::string_view extra_attrs = {});

enum class AlertKind { kInfo, kSuccess, kWarning, kDanger };
// `title` plain text; `body_html` trusted markup (may be empty). `announce`
// adds role="alert" (for errors after a submit) or role="status".
std::string RenderAlert(AlertKind kind, std::string_view title, std::string_view body_html, bool announce = true);

struct FieldError {
  std::string field;    // form field name; empty: not tied to a field
  std::string message;  // plain text
};
// A danger alert listing the errors, each linking to its field.
std::string RenderErrorSummary(Lang lang, const std::vector<FieldError>& errors);

// --- time (Central European time with the EU summer-time rule) ---

// "22.11.2026, 10:05:00" (de) or "2026-11-22 10:05:00" (en), Berlin local time.
std::string FormatBerlinTime(int64_t unix_seconds, Lang lang);
// "2026-11-22" of the Berlin local date.
std::string BerlinDate(int64_t unix_seconds);
// UTC instant of local midnight at the start of `iso_date` ("YYYY-MM-DD");
// nullopt if the text is not a valid date.
std::optional<int64_t> BerlinMidnight(std::string_view iso_date);

}  // namespace passwerk::web
