// The name rule of the partner check. A partner sends the first letters of
// the holder's family name (by default three); the comparison ignores case,
// surrounding spaces, accents and the umlaut spelling (ü = ue, ö = oe,
// ä = ae, ß = ss). Both "Mül" and "Mue" therefore match "Müller".
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace passwerk::cards {

// Lower-case ASCII letters only: umlauts and ß transliterated, accents
// dropped, everything that is not a letter removed. "  Ḿüller-Lüdenscheidt " → "muellerluedenscheidt".
std::string CanonicalName(std::string_view utf8);

// The canonical forms a holder of `family_name` may type when asked for the
// first `letters` letters: the first letters as written, and the first
// letters of the transliterated spelling. One or two distinct strings.
std::vector<std::string> AcceptedNameParts(std::string_view family_name, int letters);

}  // namespace passwerk::cards
