// The citizen side of the one access policy: which assurance level each
// portal service needs, and what a citizen session may do about it. Pure
// functions, like policy.h; the portal's pages and its JSON API both ask here.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

namespace passwerk::accounts {

// How strongly a sign-in proved who the citizen is (eIDAS: low, substantial,
// high; "Vertrauensniveau niedrig / substantiell / hoch"). Ordered.
enum class Assurance { kLow = 1, kSubstantial = 2, kHigh = 3 };
std::string_view AssuranceName(Assurance level);  // "low", "substantial", "high"
std::optional<Assurance> ParseAssurance(std::string_view name);
const std::vector<Assurance>& AllAssurances();

// What a citizen can do in the portal; each declares the level it needs.
enum class CitizenService {
  kAccount,             // see the account and its sessions, sign out, delete it
  kMyCards,             // the cards linked to the account
  kMailbox,             // threads with the office
  kPayments,            // open fees, pay them
  kApplySocialPass,     // apply for a social pass (Sozialpass)
  kApplyVolunteerCard,  // apply for a volunteer card (Ehrenamtskarte)
};
extern const std::vector<CitizenService> kAllCitizenServices;
std::string_view CitizenServiceName(CitizenService service);  // "my_cards"
Assurance RequiredAssurance(CitizenService service);

enum class CitizenAccess {
  kAllowed,
  kSignInNeeded,  // no citizen session
  kStepUpNeeded,  // a session, at a lower level than the service needs
};
// `session_level`: the level of the citizen's session, nullopt without one.
CitizenAccess DecideCitizenAccess(std::optional<Assurance> session_level, CitizenService service);

}  // namespace passwerk::accounts
