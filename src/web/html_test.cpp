// Escaping, layout landmarks, form fields tied to their errors, and the
// Europe/Berlin time helpers.
#include "web/html.h"

#include "core/dates.h"

#include <gtest/gtest.h>

namespace passwerk::web {
namespace {

bool Contains(const std::string& haystack, std::string_view needle) {
  return haystack.find(needle) != std::string::npos;
}

TEST(HtmlTest, EscapesTextAndAttributes) {
  EXPECT_EQ(Escape("<script>alert('x')</script>"), "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;");
  EXPECT_EQ(Escape("a & \"b\""), "a &amp; &quot;b&quot;");
  EXPECT_EQ(Escape("Göhren – ok"), "Göhren – ok");
  EXPECT_EQ(Escape(""), "");
}

TEST(HtmlTest, LanguageSwitchKeepsPathAndOtherParameters) {
  EXPECT_EQ(LanguageSwitchHref("/users", "", Lang::kEn), "/users?lang=en");
  EXPECT_EQ(LanguageSwitchHref("/audit", "action=user.&lang=en&before=9", Lang::kDe),
            "/audit?action=user.&before=9&lang=de");
  EXPECT_EQ(LanguageSwitchHref("", "lang", Lang::kEn), "/?lang=en");
  // Never a link off the site or with smuggled characters.
  EXPECT_EQ(LanguageSwitchHref("//evil.example/x", "", Lang::kEn), "/?lang=en");
  EXPECT_EQ(LanguageSwitchHref("/a\"b?c", "", Lang::kEn), "/?lang=en");
  EXPECT_EQ(LanguageSwitchHref("/users/7", "", Lang::kEn), "/users/7?lang=en");
}

TEST(HtmlTest, LayoutHasLandmarksSkipLinkAndLanguage) {
  Chrome chrome;
  chrome.lang = Lang::kEn;
  chrome.path = "/dashboard";
  chrome.user_display_name = "Erika <Admin>";
  chrome.user_role_label = "Operator";
  chrome.csrf_token = "tok";
  chrome.nav.push_back({"/dashboard", "Overview", true});
  std::string html = RenderLayout(chrome, "Overview", "<h1>Hi</h1>");
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_TRUE(Contains(html, "<html lang=\"en\""));
  EXPECT_TRUE(Contains(html, "<title>Overview – Passwerk</title>"));
  EXPECT_TRUE(Contains(html, "href=\"#main\""));
  EXPECT_TRUE(Contains(html, "<header"));
  EXPECT_TRUE(Contains(html, "<main id=\"main\""));
  EXPECT_TRUE(Contains(html, "<footer"));
  EXPECT_TRUE(Contains(html, "aria-current=\"page\""));
  EXPECT_TRUE(Contains(html, "Erika &lt;Admin&gt;"));
  EXPECT_FALSE(Contains(html, "Erika <Admin>"));
  EXPECT_TRUE(Contains(html, "action=\"/logout\""));
  EXPECT_TRUE(Contains(html, "name=\"csrf\" value=\"tok\""));
  EXPECT_TRUE(Contains(html, "href=\"/dashboard?lang=de\""));
  EXPECT_TRUE(Contains(html, "/static/kern/kern.min.css?v="));
  // Nothing inline that the CSP would block, nothing from other hosts.
  EXPECT_FALSE(Contains(html, "style="));
  EXPECT_FALSE(Contains(html, "<script"));
  EXPECT_FALSE(Contains(html, "http://"));
  EXPECT_FALSE(Contains(html, "https://"));
}

TEST(HtmlTest, AnonymousLayoutHasNoLogout) {
  Chrome chrome;
  std::string html = RenderLayout(chrome, "Anmelden", "");
  EXPECT_TRUE(Contains(html, "<html lang=\"de\""));
  EXPECT_FALSE(Contains(html, "/logout"));
  EXPECT_FALSE(Contains(html, "Hauptnavigation"));
}

TEST(HtmlTest, InputTiesErrorAndHintToTheField) {
  InputField field;
  field.name = "username";
  field.label = "Benutzername";
  field.value = "a\"b";
  field.hint = "3 bis 64 Zeichen";
  field.error = "Zu kurz";
  field.required = true;
  std::string html = RenderInput(field);
  EXPECT_TRUE(Contains(html, "<label class=\"kern-label\" for=\"f-username\">Benutzername</label>"));
  EXPECT_TRUE(Contains(html, "id=\"f-username\" name=\"username\""));
  EXPECT_TRUE(Contains(html, "value=\"a&quot;b\""));
  EXPECT_TRUE(Contains(html, "aria-invalid=\"true\""));
  EXPECT_TRUE(Contains(html, "aria-describedby=\"f-username-error f-username-hint\""));
  EXPECT_TRUE(Contains(html, "id=\"f-username-error\""));
  EXPECT_TRUE(Contains(html, "id=\"f-username-hint\""));
  EXPECT_TRUE(Contains(html, "kern-form-input--error"));
  EXPECT_TRUE(Contains(html, " required"));
}

TEST(HtmlTest, PasswordValueIsNeverRendered) {
  InputField field;
  field.name = "password";
  field.label = "Passwort";
  field.type = "password";
  field.value = "secret-value";
  std::string html = RenderInput(field);
  EXPECT_FALSE(Contains(html, "secret-value"));
  EXPECT_FALSE(Contains(html, "aria-invalid"));
  EXPECT_FALSE(Contains(html, "aria-describedby"));
}

TEST(HtmlTest, SelectMarksTheChosenOption) {
  SelectField field;
  field.name = "role";
  field.label = "Rolle";
  field.error = "Bitte wählen";
  field.groups.push_back({"", {{"", "Bitte wählen", false}, {"clerk", "Sachbearbeitung", true}}});
  field.groups.push_back({"Gemeinde <A>", {{"7", "X", false}}});
  std::string html = RenderSelect(field);
  EXPECT_TRUE(Contains(html, "<option value=\"clerk\" selected>Sachbearbeitung</option>"));
  EXPECT_TRUE(Contains(html, "<optgroup label=\"Gemeinde &lt;A&gt;\">"));
  EXPECT_TRUE(Contains(html, "aria-describedby=\"f-role-error\""));
}

TEST(HtmlTest, TextareaEscapesItsValueAndTiesTheError) {
  TextareaField field;
  field.name = "origins";
  field.label = "Web-Adressen";
  field.value = "https://a.example\n</textarea><script>";
  field.hint = "Eine je Zeile";
  field.error = "Ungültig";
  std::string html = RenderTextarea(field);
  EXPECT_TRUE(Contains(html, "<label class=\"kern-label\" for=\"f-origins\">"));
  EXPECT_TRUE(Contains(html, "&lt;/textarea&gt;&lt;script&gt;</textarea>"));
  EXPECT_TRUE(Contains(html, "aria-describedby=\"f-origins-error f-origins-hint\""));
  EXPECT_TRUE(Contains(html, "aria-invalid=\"true\""));
}

TEST(HtmlTest, CheckboxesFormAFieldsetWithTheirOwnNames) {
  CheckboxGroup group;
  group.name = "schemes";
  group.legend = "Kartenprogramme";
  group.error = "Bitte wählen";
  group.options = {{"scheme_1", "Sozialpass", true}, {"scheme_2", "Ehrenamt", false}};
  std::string html = RenderCheckboxes(group);
  EXPECT_TRUE(Contains(html, "<fieldset class=\"kern-fieldset kern-fieldset--error\" id=\"f-schemes\" "
                             "aria-describedby=\"f-schemes-error\">"));
  EXPECT_TRUE(Contains(html, "<legend class=\"kern-label\">Kartenprogramme</legend>"));
  EXPECT_TRUE(Contains(html, "id=\"f-scheme_1\" name=\"scheme_1\" value=\"1\" checked>"));
  EXPECT_TRUE(Contains(html, "id=\"f-scheme_2\" name=\"scheme_2\" value=\"1\">"));
  EXPECT_TRUE(Contains(html, "<label class=\"kern-label\" for=\"f-scheme_2\">Ehrenamt</label>"));
}

TEST(HtmlTest, ErrorSummaryLinksToFields) {
  std::string html = RenderErrorSummary(Lang::kDe, {{"username", "Vergeben"}, {"", "Allgemein"}});
  EXPECT_TRUE(Contains(html, "role=\"alert\""));
  EXPECT_TRUE(Contains(html, "href=\"#f-username\""));
  EXPECT_TRUE(Contains(html, "Allgemein"));
  EXPECT_EQ(RenderErrorSummary(Lang::kDe, {}), "");
}

TEST(HtmlTest, ErrorPageIsInTheLayout) {
  http::Request request;
  request.method = "GET";
  request.path = "/nope";
  http::Response response = ErrorPage(request, 404);
  EXPECT_EQ(response.status, 404);
  EXPECT_TRUE(Contains(response.body, "Seite nicht gefunden"));
  EXPECT_TRUE(Contains(response.body, "<main"));
}

TEST(HtmlTest, BerlinTime) {
  // 2026-01-15 12:00:00Z is winter time (+1h).
  EXPECT_EQ(BerlinOffsetSeconds(1768478400), 3600);
  EXPECT_EQ(FormatBerlinTime(1768478400, Lang::kDe), "15.01.2026, 13:00:00");
  EXPECT_EQ(FormatBerlinTime(1768478400, Lang::kEn), "2026-01-15 13:00:00");
  // 2026-07-01 00:30:00Z is summer time (+2h), already the local 1 July.
  EXPECT_EQ(BerlinOffsetSeconds(1782865800), 7200);
  EXPECT_EQ(BerlinDate(1782865800), "2026-07-01");
  // Transitions 2026: 29 March 01:00Z and 25 October 01:00Z.
  EXPECT_EQ(BerlinOffsetSeconds(1774746000 - 1), 3600);
  EXPECT_EQ(BerlinOffsetSeconds(1774746000), 7200);
  EXPECT_EQ(BerlinOffsetSeconds(1792890000 - 1), 7200);
  EXPECT_EQ(BerlinOffsetSeconds(1792890000), 3600);
}

TEST(HtmlTest, BerlinMidnight) {
  EXPECT_EQ(BerlinMidnight("2026-01-15"), 1768431600);  // 2026-01-14T23:00:00Z
  EXPECT_EQ(BerlinMidnight("2026-07-01"), 1782856800);  // 2026-06-30T22:00:00Z
  EXPECT_EQ(BerlinMidnight("2026-02-30"), std::nullopt);
  EXPECT_EQ(BerlinMidnight("2026-1-15"), std::nullopt);
  EXPECT_EQ(BerlinMidnight("abcd-ef-gh"), std::nullopt);
  EXPECT_EQ(BerlinMidnight(""), std::nullopt);
}

}  // namespace
}  // namespace passwerk::web
