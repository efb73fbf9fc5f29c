// Text lookup in both languages and the choice of language per request.
#include "web/i18n.h"

#include <set>

#include <gtest/gtest.h>

namespace passwerk::web {
namespace {

TEST(I18nTest, LooksUpBothLanguages) {
  EXPECT_EQ(T(Lang::kDe, "login.title"), "Anmelden");
  EXPECT_EQ(T(Lang::kEn, "login.title"), "Sign in");
  EXPECT_EQ(T(Lang::kDe, "login.failed"), "Benutzername oder Passwort falsch");
}

TEST(I18nTest, MissingKeyShowsTheKey) {
  EXPECT_EQ(T(Lang::kDe, "no.such.key"), "no.such.key");
  EXPECT_FALSE(HasText("no.such.key"));
}

TEST(I18nTest, EveryKeyIsUniqueAndTranslated) {
  std::set<std::string_view> seen;
  for (std::string_view key : AllTextKeys()) {
    EXPECT_TRUE(seen.insert(key).second) << "duplicate key " << key;
    EXPECT_FALSE(T(Lang::kDe, key).empty()) << key;
    EXPECT_FALSE(T(Lang::kEn, key).empty()) << key;
    // Placeholders must match, or a translation silently drops a value.
    for (char n : std::string_view("0123")) {
      std::string placeholder = {'{', n, '}'};
      EXPECT_EQ(T(Lang::kDe, key).find(placeholder) == std::string_view::npos,
                T(Lang::kEn, key).find(placeholder) == std::string_view::npos)
          << key << " " << placeholder;
    }
  }
  EXPECT_GT(seen.size(), 100u);
}

TEST(I18nTest, RolesHaveTexts) {
  for (std::string_view role : {"operator", "municipality_admin", "clerk", "auditor"}) {
    EXPECT_TRUE(HasText("role." + std::string(role))) << role;
  }
}

TEST(I18nTest, FormatsPlaceholders) {
  EXPECT_EQ(Tf(Lang::kDe, "dashboard.greeting", {"Erika Mustermann"}), "Guten Tag, Erika Mustermann");
  EXPECT_EQ(Tf(Lang::kEn, "dashboard.greeting", {"Erika"}), "Hello, Erika");
  // Missing arguments leave the placeholder visible rather than crash.
  EXPECT_EQ(Tf(Lang::kEn, "dashboard.greeting", {}), "Hello, {0}");
}

TEST(I18nTest, AcceptLanguage) {
  EXPECT_EQ(LanguageFromAcceptLanguage("en-US,en;q=0.9"), Lang::kEn);
  EXPECT_EQ(LanguageFromAcceptLanguage("de-DE,de;q=0.9,en;q=0.8"), Lang::kDe);
  EXPECT_EQ(LanguageFromAcceptLanguage("fr-FR,fr;q=0.9,en;q=0.5,de;q=0.4"), Lang::kEn);
  EXPECT_EQ(LanguageFromAcceptLanguage("de;q=0.3, EN;q=0.7"), Lang::kEn);
  EXPECT_EQ(LanguageFromAcceptLanguage("fr"), Lang::kDe);
  EXPECT_EQ(LanguageFromAcceptLanguage("en;q=0"), Lang::kDe);
  EXPECT_EQ(LanguageFromAcceptLanguage(""), Lang::kDe);
  EXPECT_EQ(LanguageFromAcceptLanguage("*"), Lang::kDe);
}

http::Request RequestWith(std::string query, std::string cookie, std::string accept) {
  http::Request request;
  request.method = "GET";
  request.path = "/login";
  request.query = std::move(query);
  if (!cookie.empty()) request.headers.emplace_back("cookie", std::move(cookie));
  if (!accept.empty()) request.headers.emplace_back("accept-language", std::move(accept));
  return request;
}

TEST(I18nTest, QueryBeatsCookieBeatsHeader) {
  LanguageChoice c = ChooseLanguage(RequestWith("lang=en", "pw_lang=de", "de"));
  EXPECT_EQ(c.lang, Lang::kEn);
  EXPECT_TRUE(c.from_query);

  c = ChooseLanguage(RequestWith("", "pw_lang=en", "de"));
  EXPECT_EQ(c.lang, Lang::kEn);
  EXPECT_FALSE(c.from_query);

  c = ChooseLanguage(RequestWith("", "", "en-GB"));
  EXPECT_EQ(c.lang, Lang::kEn);

  c = ChooseLanguage(RequestWith("lang=xx", "pw_lang=zz", ""));
  EXPECT_EQ(c.lang, Lang::kDe);
  EXPECT_FALSE(c.from_query);
}

TEST(I18nTest, LanguageCookie) {
  EXPECT_EQ(LanguageCookie(Lang::kEn, false),
            "pw_lang=en; Path=/; Max-Age=31536000; HttpOnly; SameSite=Lax");
  EXPECT_NE(LanguageCookie(Lang::kDe, true).find("; Secure"), std::string::npos);
}

}  // namespace
}  // namespace passwerk::web
