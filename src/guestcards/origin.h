// Where a guest comes from, as the spa-tax and card-usage segments record it
// (001 §3.1, §3.3.2): the country, and for residents of Germany the federal
// state (ISO 3166-2, e.g. "DE-SH"), derived from the postal code.
#pragma once

#include <string>
#include <string_view>

namespace passwerk::guestcards {

// "DE" + a 5-digit postal code → "DE-<state>" by the postal code's leading
// region (Leitregion). Regions that straddle a state border are counted to
// the state holding most of them, so border towns can land in the neighbour:
// good enough for statistics, documented in docs/guest-cards.md. Other
// countries → the country code as given (upper case).
std::string OriginOf(std::string_view country, std::string_view postal_code);

// ISO 3166-1 alpha-2 shape: two letters A–Z.
bool IsCountryCode(std::string_view code);

}  // namespace passwerk::guestcards
