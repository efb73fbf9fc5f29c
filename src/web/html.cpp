// Markup for the layout and the KERN UX form components. Attributes are
// always double-quoted and every outside value is escaped.
#include "web/html.h"

#include <chrono>
#include <cstdio>

#include "core/dates.h"
#include "web/assets.h"

#ifndef PASSWERK_VERSION
#define PASSWERK_VERSION "dev"
#endif

namespace passwerk::web {

std::string Escape(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

Chrome AnonymousChrome(const http::Request& request, Lang lang) {
  Chrome chrome;
  chrome.lang = lang;
  chrome.path = request.path;
  chrome.query = request.query;
  return chrome;
}

namespace {

// Only plain local paths go back into a link: "//host" would leave the site,
// and decoded characters like '?' or '"' would change the URL's meaning.
bool IsPlainLocalPath(std::string_view path) {
  if (path.empty() || path[0] != '/' || path.substr(0, 2) == "//") return false;
  for (char c : path) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '/' || c == '.' ||
              c == '_' || c == '-' || c == '~';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

std::string LanguageSwitchHref(std::string_view path, std::string_view query, Lang target) {
  std::string out(IsPlainLocalPath(path) ? path : "/");
  out += '?';
  // Keep every other parameter as it was (filters, paging), drop the old lang.
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view part = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (part.empty() || part == "lang" || part.rfind("lang=", 0) == 0) continue;
    out += part;
    out += '&';
  }
  out += "lang=";
  out += LangCode(target);
  return out;
}

namespace {

std::string LanguageLink(const Chrome& chrome, Lang target) {
  std::string code(LangCode(target));
  std::string html = "<li><a class=\"kern-link pw-lang__link\" lang=\"" + code + "\" hreflang=\"" + code +
                     "\" href=\"" + Escape(LanguageSwitchHref(chrome.path, chrome.query, target)) + "\"";
  if (target == chrome.lang) html += " aria-current=\"true\"";
  html += ">" + Escape(T(target, "lang." + code)) + "</a></li>";
  return html;
}

}  // namespace

std::string RenderLayout(const Chrome& chrome, std::string_view title, std::string_view main_html) {
  const Lang lang = chrome.lang;
  std::string html;
  html.reserve(main_html.size() + 4096);
  html += "<!DOCTYPE html>\n<html lang=\"";
  html += LangCode(lang);
  html +=
      "\" data-kern-theme=\"light\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      "<title>";
  html += Escape(title);
  html += " – Passwerk</title>\n";
  for (std::string_view css :
       {"/static/kern/fonts/fira-sans.css", "/static/kern/kern.min.css", "/static/passwerk.css"}) {
    html += "<link rel=\"stylesheet\" href=\"" + Escape(AssetUrl(css)) + "\">\n";
  }
  html += "<link rel=\"icon\" href=\"" + Escape(AssetUrl("/static/favicon.svg")) +
          "\" type=\"image/svg+xml\">\n</head>\n<body>\n";

  html += "<a class=\"pw-skip-link\" href=\"#main\">" + Escape(T(lang, "layout.skip")) + "</a>\n";
  // A landmark of its own (a named region), so nothing on the page sits outside one.
  if (!chrome.banner.empty()) {
    html += "<section class=\"pw-banner\" aria-label=\"" + Escape(T(lang, "layout.banner")) +
            "\"><div class=\"kern-container\"><p class=\"kern-body\">" + Escape(chrome.banner) +
            "</p></div></section>\n";
  }

  // Header: product, language switch, the signed-in user and the logout button.
  html += "<header class=\"pw-header\">\n<div class=\"kern-container pw-header__inner\">\n";
  html += "<a class=\"pw-brand\" href=\"" + Escape(chrome.brand_href) + "\"><img class=\"pw-brand__logo\" src=\"" +
          Escape(AssetUrl("/static/favicon.svg")) +
          "\" alt=\"\" width=\"36\" height=\"36\">"
          "<span class=\"pw-brand__text\"><span class=\"pw-brand__name\">Passwerk</span>"
          "<span class=\"pw-brand__tagline\">" +
          Escape(chrome.tagline.empty() ? T(lang, "app.tagline") : std::string_view(chrome.tagline)) +
          "</span></span></a>\n";
  html += "<div class=\"pw-header__tools\">\n";
  html += "<nav class=\"pw-lang\" aria-label=\"" + Escape(T(lang, "layout.language")) +
          "\"><ul class=\"pw-lang__list\">" + LanguageLink(chrome, Lang::kDe) + LanguageLink(chrome, Lang::kEn) +
          "</ul></nav>\n";
  if (!chrome.user_display_name.empty()) {
    html +=
        "<div class=\"pw-user\"><p class=\"kern-body kern-body--small pw-user__who\">"
        "<span class=\"pw-user__label\">" +
        Escape(T(lang, "layout.signed_in_as")) + "</span> <strong>" + Escape(chrome.user_display_name) + "</strong>";
    if (!chrome.user_role_label.empty()) {
      html += " <span class=\"pw-user__role\">(" + Escape(chrome.user_role_label) + ")</span>";
    }
    html += "</p><form class=\"pw-user__logout\" method=\"post\" action=\"" + Escape(chrome.logout_action) + "\">" +
            CsrfInput(chrome.csrf_token) + RenderButton(ButtonKind::kSecondary, T(lang, "layout.logout")) +
            "</form></div>\n";
  }
  html += "</div>\n</div>\n";
  if (!chrome.nav.empty()) {
    html += "<nav class=\"pw-nav\" aria-label=\"" + Escape(T(lang, "layout.nav")) +
            "\"><div class=\"kern-container\"><ul class=\"pw-nav__list\">";
    for (const NavItem& item : chrome.nav) {
      html += "<li><a class=\"pw-nav__link\" href=\"" + Escape(item.href) + "\"";
      if (item.current) html += " aria-current=\"page\"";
      html += ">" + Escape(item.label) + "</a></li>";
    }
    html += "</ul></div></nav>\n";
  }
  html += "</header>\n";

  html += "<main id=\"main\" class=\"kern-container pw-main\" tabindex=\"-1\">\n";
  html += main_html;
  html += "\n</main>\n";

  html +=
      "<footer class=\"pw-footer\"><div class=\"kern-container\"><p class=\"kern-body "
      "kern-body--small\">" +
      Escape(Tf(lang, "app.footer", {PASSWERK_VERSION})) + "</p></div></footer>\n";
  html += "</body>\n</html>\n";
  return html;
}

http::Response HtmlPage(const Chrome& chrome, int status, std::string_view title, std::string_view main_html) {
  http::Response response = http::Response::Html(status, RenderLayout(chrome, title, main_html));
  response.AddHeader("Cache-Control", "no-store");
  response.AddHeader("Content-Language", std::string(LangCode(chrome.lang)));
  return response;
}

namespace {

std::string ErrorKeyPrefix(int status) {
  switch (status) {
    case 403:
      return "error.403";
    case 404:
      return "error.404";
    default:
      return "error.500";
  }
}

}  // namespace

http::Response ErrorPage(const Chrome& chrome, int status) {
  const Lang lang = chrome.lang;
  std::string prefix = ErrorKeyPrefix(status);
  std::string title(T(lang, prefix + "_title"));
  std::string body =
      "<h1 class=\"kern-heading-large\">" + Escape(title) + "</h1>\n<p class=\"kern-body\">" +
      Escape(T(lang, prefix + "_text")) + "</p>\n<p class=\"kern-body\"><a class=\"kern-link\" href=\"/\">" +
      Escape(T(lang, chrome.user_display_name.empty() ? "error.to_start" : "common.back_dashboard")) + "</a></p>";
  return HtmlPage(chrome, status, title, body);
}

http::Response ErrorPage(const http::Request& request, int status) {
  return ErrorPage(AnonymousChrome(request, ChooseLanguage(request).lang), status);
}

http::Response CsrfErrorPage(const Chrome& chrome) {
  const Lang lang = chrome.lang;
  std::string title(T(lang, "error.csrf_title"));
  std::string body = "<h1 class=\"kern-heading-large\">" + Escape(title) + "</h1>\n<p class=\"kern-body\">" +
                     Escape(T(lang, "error.csrf_text")) +
                     "</p>\n<p class=\"kern-body\"><a class=\"kern-link\" href=\"/\">" +
                     Escape(T(lang, "error.to_start")) + "</a></p>";
  return HtmlPage(chrome, 403, title, body);
}

std::string FieldId(std::string_view name) { return "f-" + std::string(name); }

namespace {

// Hint and error paragraphs plus the aria-describedby value pointing at them.
struct Described {
  std::string before_input;  // hint
  std::string after_input;   // error
  std::string describedby;
};

Described Describe(const std::string& id, const std::string& hint, const std::string& error) {
  Described d;
  if (!hint.empty()) {
    d.before_input = "<div class=\"kern-hint\" id=\"" + id + "-hint\">" + Escape(hint) + "</div>";
    d.describedby = id + "-hint";
  }
  if (!error.empty()) {
    d.after_input = "<p class=\"kern-error\" id=\"" + id +
                    "-error\"><span class=\"kern-icon kern-icon--danger kern-icon--default\" "
                    "aria-hidden=\"true\"></span><span class=\"kern-body\">" +
                    Escape(error) + "</span></p>";
    d.describedby = d.describedby.empty() ? id + "-error" : id + "-error " + d.describedby;
  }
  return d;
}

// The KERN wrapper of a form field up to its control: label and hint.
std::string FieldOpening(const std::string& id, std::string_view label, const std::string& error, const Described& d) {
  std::string html = "<div class=\"kern-form-input";
  if (!error.empty()) html += " kern-form-input--error";
  html += "\">\n<label class=\"kern-label\" for=\"" + id + "\">" + Escape(label) + "</label>\n";
  return html + d.before_input;
}

// The attributes that end every control: required, spell checking, and the
// error state with what describes it.
std::string ControlState(bool required, bool spellcheck_off, const std::string& error, const Described& d) {
  std::string html;
  if (required) html += " required";
  if (spellcheck_off) html += " spellcheck=\"false\" autocapitalize=\"none\"";
  if (!error.empty()) html += " aria-invalid=\"true\"";
  if (!d.describedby.empty()) html += " aria-describedby=\"" + d.describedby + "\"";
  return html;
}

}  // namespace

std::string RenderInput(const InputField& field) {
  const std::string id = FieldId(field.name);
  Described d = Describe(id, field.hint, field.error);
  std::string html = FieldOpening(id, field.label, field.error, d);
  html += "<input class=\"kern-form-input__input";
  if (!field.error.empty()) html += " kern-form-input__input--error";
  html += "\" id=\"" + id + "\" name=\"" + Escape(field.name) + "\" type=\"" + Escape(field.type) + "\"";
  if (field.type != "password" && field.type != "file") html += " value=\"" + Escape(field.value) + "\"";
  if (!field.accept.empty()) html += " accept=\"" + Escape(field.accept) + "\"";
  if (!field.autocomplete.empty()) html += " autocomplete=\"" + Escape(field.autocomplete) + "\"";
  if (!field.inputmode.empty()) html += " inputmode=\"" + Escape(field.inputmode) + "\"";
  if (!field.pattern.empty()) html += " pattern=\"" + Escape(field.pattern) + "\"";
  if (field.maxlength > 0) html += " maxlength=\"" + std::to_string(field.maxlength) + "\"";
  html += ControlState(field.required, field.spellcheck_off, field.error, d);
  html += ">\n" + d.after_input + "</div>\n";
  return html;
}

std::string RenderSelect(const SelectField& field) {
  const std::string id = FieldId(field.name);
  Described d = Describe(id, field.hint, field.error);
  std::string html = FieldOpening(id, field.label, field.error, d);
  html += "<div class=\"kern-form-input__select-wrapper\"><select class=\"kern-form-input__select";
  if (!field.error.empty()) html += " kern-form-input__select--error";
  html += "\" id=\"" + id + "\" name=\"" + Escape(field.name) + "\"";
  html += ControlState(field.required, false, field.error, d);
  html += ">";
  for (const SelectGroup& group : field.groups) {
    if (!group.label.empty()) html += "<optgroup label=\"" + Escape(group.label) + "\">";
    for (const SelectOption& option : group.options) {
      html += "<option value=\"" + Escape(option.value) + "\"";
      if (option.selected) html += " selected";
      html += ">" + Escape(option.label) + "</option>";
    }
    if (!group.label.empty()) html += "</optgroup>";
  }
  html += "</select></div>\n" + d.after_input + "</div>\n";
  return html;
}

std::string RenderTextarea(const TextareaField& field) {
  const std::string id = FieldId(field.name);
  Described d = Describe(id, field.hint, field.error);
  std::string html = FieldOpening(id, field.label, field.error, d);
  html += "<textarea class=\"kern-form-input__input pw-textarea";
  if (!field.error.empty()) html += " kern-form-input__input--error";
  html += "\" id=\"" + id + "\" name=\"" + Escape(field.name) + "\" rows=\"" + std::to_string(field.rows) + "\"";
  if (field.maxlength > 0) html += " maxlength=\"" + std::to_string(field.maxlength) + "\"";
  html += ControlState(field.required, field.spellcheck_off, field.error, d);
  html += ">" + Escape(field.value) + "</textarea>\n" + d.after_input + "</div>\n";
  return html;
}

std::string RenderCheckboxes(const CheckboxGroup& group) {
  const std::string id = FieldId(group.name);
  Described d = Describe(id, group.hint, group.error);
  std::string html = "<fieldset class=\"kern-fieldset";
  if (!group.error.empty()) html += " kern-fieldset--error";
  html += "\" id=\"" + id + "\"";
  if (!d.describedby.empty()) html += " aria-describedby=\"" + d.describedby + "\"";
  html += "><legend class=\"kern-label\">" + Escape(group.legend) + "</legend>" + d.before_input +
          "<div class=\"kern-fieldset__body\">";
  for (const CheckboxOption& option : group.options) {
    const std::string box_id = FieldId(option.name);
    html += "<div class=\"kern-form-check\"><input class=\"kern-form-check__checkbox\" type=\"checkbox\" id=\"" +
            Escape(box_id) + "\" name=\"" + Escape(option.name) + "\" value=\"1\"";
    if (option.checked) html += " checked";
    html += "><label class=\"kern-label\" for=\"" + Escape(box_id) + "\">" + Escape(option.label) + "</label></div>";
  }
  html += "</div>" + d.after_input + "</fieldset>\n";
  return html;
}

std::string CsrfInput(std::string_view token) {
  return "<input type=\"hidden\" name=\"csrf\" value=\"" + Escape(token) + "\">";
}

std::string RenderButton(ButtonKind kind, std::string_view label, std::string_view extra_attrs) {
  const char* modifier = kind == ButtonKind::kPrimary     ? "kern-btn--primary"
                         : kind == ButtonKind::kSecondary ? "kern-btn--secondary"
                                                          : "kern-btn--tertiary";
  std::string html = "<button type=\"submit\" class=\"kern-btn ";
  html += modifier;
  html += "\"";
  if (!extra_attrs.empty()) {
    html += ' ';
    html += extra_attrs;
  }
  html += "><span class=\"kern-label\">" + Escape(label) + "</span></button>";
  return html;
}

std::string RenderAlert(AlertKind kind, std::string_view title, std::string_view body_html, bool announce) {
  const char* name = kind == AlertKind::kInfo      ? "info"
                     : kind == AlertKind::kSuccess ? "success"
                     : kind == AlertKind::kWarning ? "warning"
                                                   : "danger";
  std::string html = "<div class=\"kern-alert kern-alert--";
  html += name;
  html += " pw-alert\"";
  if (announce) {
    html += kind == AlertKind::kDanger ? " role=\"alert\"" : " role=\"status\"";
  }
  html += "><div class=\"kern-alert__header\"><span class=\"kern-icon kern-icon--";
  html += name;
  html += "\" aria-hidden=\"true\"></span><span class=\"kern-title\">" + Escape(title) + "</span></div>";
  if (!body_html.empty()) {
    html += "<div class=\"kern-alert__body\">";
    html += body_html;
    html += "</div>";
  }
  html += "</div>\n";
  return html;
}

std::string RenderErrorSummary(Lang lang, const std::vector<FieldError>& errors) {
  if (errors.empty()) return {};
  std::string list = "<ul class=\"kern-list pw-error-list\">";
  for (const FieldError& error : errors) {
    list += "<li>";
    if (!error.field.empty()) {
      list += "<a class=\"kern-link\" href=\"#" + Escape(FieldId(error.field)) + "\">" + Escape(error.message) + "</a>";
    } else {
      list += Escape(error.message);
    }
    list += "</li>";
  }
  list += "</ul>";
  return RenderAlert(AlertKind::kDanger, T(lang, "common.error_summary"), list);
}

// --- time (calendar rules in core/dates) ---

std::string FormatBerlinTime(int64_t unix_seconds, Lang lang) {
  int64_t local = unix_seconds + BerlinOffsetSeconds(unix_seconds);
  int64_t day_count = local >= 0 ? local / 86400 : (local - 86399) / 86400;
  Date d = CivilFromDays(day_count);
  int64_t seconds_of_day = local - day_count * 86400;
  int h = static_cast<int>(seconds_of_day / 3600);
  int m = static_cast<int>(seconds_of_day / 60 % 60);
  int s = static_cast<int>(seconds_of_day % 60);
  char buffer[48];
  if (lang == Lang::kDe) {
    std::snprintf(buffer, sizeof buffer, "%02d.%02d.%04d, %02d:%02d:%02d", d.day, d.month, d.year, h, m, s);
  } else {
    std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02d %02d:%02d:%02d", d.year, d.month, d.day, h, m, s);
  }
  return buffer;
}

std::string BerlinDate(int64_t unix_seconds) { return FormatIsoDate(passwerk::BerlinDate(unix_seconds)); }

std::optional<int64_t> BerlinMidnight(std::string_view iso_date) {
  std::optional<Date> date = ParseIsoDate(iso_date);
  if (!date || date->year < 1970) return std::nullopt;
  int64_t local = DaysFromCivil(*date) * 86400;
  // Midnight is never inside a transition (they happen at 02:00/03:00 local).
  int64_t utc = local - 3600;
  if (BerlinOffsetSeconds(utc) != 3600) utc = local - 7200;
  return utc;
}

}  // namespace passwerk::web
