// Transliteration for the partner check's name rule (Latin-1 and Latin
// Extended-A letters; anything else that is not an ASCII letter is dropped).
#include "cards/name_match.h"

#include <cstdint>

namespace passwerk::cards {
namespace {

// Decodes one UTF-8 code point; returns 0xFFFD for invalid bytes.
char32_t NextCodePoint(std::string_view s, size_t& i) {
  auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = byte(i);
  if (c < 0x80) {
    ++i;
    return c;
  }
  int extra = (c & 0xE0) == 0xC0 ? 1 : (c & 0xF0) == 0xE0 ? 2 : (c & 0xF8) == 0xF0 ? 3 : -1;
  if (extra < 0) {
    ++i;
    return 0xFFFD;
  }
  char32_t cp = c & (0x3F >> extra);
  for (int k = 1; k <= extra; ++k) {
    if (i + static_cast<size_t>(k) >= s.size() || (byte(i + k) & 0xC0) != 0x80) {
      ++i;
      return 0xFFFD;
    }
    cp = (cp << 6) | (byte(i + k) & 0x3F);
  }
  i += static_cast<size_t>(extra) + 1;
  return cp;
}

// Transliteration of one code point into lower-case ASCII ("" drops it).
std::string_view Fold(char32_t cp) {
  if (cp >= 'a' && cp <= 'z') {
    static const std::string kLetters = "abcdefghijklmnopqrstuvwxyz";
    return std::string_view(kLetters).substr(cp - 'a', 1);
  }
  if (cp >= 'A' && cp <= 'Z') return Fold(cp - 'A' + 'a');
  switch (cp) {
    case U'ä': case U'Ä': case U'æ': case U'Æ': return "ae";
    case U'ö': case U'Ö': case U'ø': case U'Ø': case U'œ': case U'Œ': return "oe";
    case U'ü': case U'Ü': return "ue";
    case U'ß': case U'ẞ': return "ss";
    case U'à': case U'á': case U'â': case U'ã': case U'å': case U'ā': case U'ă': case U'ą':
    case U'À': case U'Á': case U'Â': case U'Ã': case U'Å': case U'Ā': case U'Ă': case U'Ą': return "a";
    case U'ç': case U'ć': case U'ĉ': case U'ċ': case U'č': case U'Ç': case U'Ć': case U'Ĉ': case U'Ċ': case U'Č':
      return "c";
    case U'ď': case U'đ': case U'Ď': case U'Đ': case U'ð': case U'Ð': return "d";
    case U'è': case U'é': case U'ê': case U'ë': case U'ē': case U'ĕ': case U'ė': case U'ę': case U'ě':
    case U'È': case U'É': case U'Ê': case U'Ë': case U'Ē': case U'Ĕ': case U'Ė': case U'Ę': case U'Ě': return "e";
    case U'ĝ': case U'ğ': case U'ġ': case U'ģ': case U'Ĝ': case U'Ğ': case U'Ġ': case U'Ģ': return "g";
    case U'ĥ': case U'ħ': case U'Ĥ': case U'Ħ': return "h";
    case U'ì': case U'í': case U'î': case U'ï': case U'ĩ': case U'ī': case U'ĭ': case U'į': case U'ı':
    case U'Ì': case U'Í': case U'Î': case U'Ï': case U'Ĩ': case U'Ī': case U'Ĭ': case U'Į': case U'İ': return "i";
    case U'ĵ': case U'Ĵ': return "j";
    case U'ķ': case U'Ķ': return "k";
    case U'ĺ': case U'ļ': case U'ľ': case U'ŀ': case U'ł': case U'Ĺ': case U'Ļ': case U'Ľ': case U'Ŀ': case U'Ł':
      return "l";
    case U'ñ': case U'ń': case U'ņ': case U'ň': case U'Ñ': case U'Ń': case U'Ņ': case U'Ň': return "n";
    case U'ò': case U'ó': case U'ô': case U'õ': case U'ō': case U'ŏ': case U'ő':
    case U'Ò': case U'Ó': case U'Ô': case U'Õ': case U'Ō': case U'Ŏ': case U'Ő': return "o";
    case U'ŕ': case U'ŗ': case U'ř': case U'Ŕ': case U'Ŗ': case U'Ř': return "r";
    case U'ś': case U'ŝ': case U'ş': case U'š': case U'Ś': case U'Ŝ': case U'Ş': case U'Š': return "s";
    case U'ţ': case U'ť': case U'ŧ': case U'Ţ': case U'Ť': case U'Ŧ': return "t";
    case U'þ': case U'Þ': return "th";
    case U'ù': case U'ú': case U'û': case U'ũ': case U'ū': case U'ŭ': case U'ů': case U'ű': case U'ų':
    case U'Ù': case U'Ú': case U'Û': case U'Ũ': case U'Ū': case U'Ŭ': case U'Ů': case U'Ű': case U'Ų': return "u";
    case U'ŵ': case U'Ŵ': return "w";
    case U'ý': case U'ÿ': case U'ŷ': case U'Ý': case U'Ÿ': case U'Ŷ': return "y";
    case U'ź': case U'ż': case U'ž': case U'Ź': case U'Ż': case U'Ž': return "z";
    default: return "";
  }
}

// True for code points that count as a letter of the name (so "first three
// letters" skips apostrophes, hyphens and spaces).
bool IsLetter(char32_t cp) { return !Fold(cp).empty(); }

}  // namespace

std::string CanonicalName(std::string_view utf8) {
  std::string out;
  for (size_t i = 0; i < utf8.size();) out += Fold(NextCodePoint(utf8, i));
  return out;
}

std::vector<std::string> AcceptedNameParts(std::string_view family_name, int letters) {
  std::string as_written;  // canonical form of the first `letters` letters as written
  int taken = 0;
  for (size_t i = 0; i < family_name.size() && taken < letters;) {
    char32_t cp = NextCodePoint(family_name, i);
    if (!IsLetter(cp)) continue;
    as_written += Fold(cp);
    ++taken;
  }
  std::string transliterated = CanonicalName(family_name).substr(0, static_cast<size_t>(letters));
  std::vector<std::string> parts = {as_written};
  if (transliterated != as_written) parts.push_back(transliterated);
  return parts;
}

}  // namespace passwerk::cards
