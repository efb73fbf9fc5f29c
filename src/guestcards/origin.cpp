#include "guestcards/origin.h"

#include <array>
#include <cctype>

namespace passwerk::guestcards {
namespace {

// Federal state of each two-digit postal region 00–99 ("" where none exists).
constexpr std::array<const char*, 100> kStateByRegion = {
    "",   "SN", "SN", "BB", "SN", "",   "ST", "TH", "SN", "SN",  // 00–09
    "BE", "",   "BE", "BE", "BB", "BB", "BB", "MV", "MV", "MV",  // 10–19
    "HH", "NI", "HH", "SH", "SH", "SH", "NI", "NI", "HB", "NI",  // 20–29
    "NI", "NI", "NW", "NW", "HE", "HE", "HE", "NI", "NI", "ST",  // 30–39
    "NW", "NW", "NW", "",   "NW", "NW", "NW", "NW", "NW", "NI",  // 40–49
    "NW", "NW", "NW", "NW", "RP", "RP", "RP", "NW", "NW", "NW",  // 50–59
    "HE", "HE", "",   "HE", "HE", "HE", "SL", "RP", "BW", "BW",  // 60–69
    "BW", "BW", "BW", "BW", "BW", "BW", "BW", "BW", "BW", "BW",  // 70–79
    "BY", "BY", "BY", "BY", "BY", "BY", "BY", "BY", "BW", "BW",  // 80–89
    "BY", "BY", "BY", "BY", "BY", "BY", "BY", "BY", "TH", "TH",  // 90–99
};

}  // namespace

bool IsCountryCode(std::string_view code) {
  return code.size() == 2 && std::isupper(static_cast<unsigned char>(code[0])) &&
         std::isupper(static_cast<unsigned char>(code[1]));
}

std::string OriginOf(std::string_view country, std::string_view postal_code) {
  std::string upper(country);
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (upper != "DE") return upper;
  if (postal_code.size() != 5) return "DE";
  for (char c : postal_code) {
    if (c < '0' || c > '9') return "DE";
  }
  const char* state = kStateByRegion[static_cast<size_t>((postal_code[0] - '0') * 10 + (postal_code[1] - '0'))];
  return *state ? std::string("DE-") + state : "DE";
}

}  // namespace passwerk::guestcards
