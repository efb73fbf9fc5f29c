// German and English texts for the staff web pages, looked up by key, and the
// choice of language for a request (?lang=, then the pw_lang cookie, then
// Accept-Language, then German). Texts are plain text: escape them for HTML.
#pragma once

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http/message.h"

namespace passwerk::web {

enum class Lang { kDe, kEn };

std::string_view LangCode(Lang lang);  // "de", "en"
std::optional<Lang> ParseLang(std::string_view code);

// The text for `key`. A missing key yields the key itself, so a mistake shows
// up on the page instead of crashing it (a unit test checks all keys exist).
std::string_view T(Lang lang, std::string_view key);
// T with "{0}", "{1}", … replaced by `args` (inserted as given).
std::string Tf(Lang lang, std::string_view key, std::initializer_list<std::string_view> args);

bool HasText(std::string_view key);
// Every key, for tests.
std::vector<std::string_view> AllTextKeys();

struct LanguageChoice {
  Lang lang = Lang::kDe;
  bool from_query = false;  // ?lang= was given: remember it in the cookie
};

inline constexpr std::string_view kLangCookie = "pw_lang";

LanguageChoice ChooseLanguage(const http::Request& request);
// Best supported language from an Accept-Language header (q-values honoured);
// German if neither is acceptable.
Lang LanguageFromAcceptLanguage(std::string_view header);
// Set-Cookie value remembering the choice for a year.
std::string LanguageCookie(Lang lang, bool secure);

}  // namespace passwerk::web
