// The citizen side's table: one row per portal service and the level it needs.
#include "accounts/citizen_policy.h"

namespace passwerk::accounts {
namespace {

struct ServiceRule {
  CitizenService service;
  std::string_view name;
  Assurance needs;
};

// A social pass grants benefits by income: the applicant must be who they say
// (substantial, as eID cards and BundID's ELSTER certificates give). The
// other services only concern what the account itself holds.
constexpr ServiceRule kServiceRules[] = {
    {CitizenService::kAccount, "account", Assurance::kLow},
    {CitizenService::kMyCards, "my_cards", Assurance::kLow},
    {CitizenService::kMailbox, "mailbox", Assurance::kLow},
    {CitizenService::kPayments, "payments", Assurance::kLow},
    {CitizenService::kApplySocialPass, "apply_social_pass", Assurance::kSubstantial},
    {CitizenService::kApplyVolunteerCard, "apply_volunteer_card", Assurance::kLow},
};

const ServiceRule& RuleFor(CitizenService service) {
  for (const ServiceRule& rule : kServiceRules) {
    if (rule.service == service) return rule;
  }
  return kServiceRules[0];
}

}  // namespace

const std::vector<CitizenService> kAllCitizenServices = {
    CitizenService::kAccount,  CitizenService::kMyCards,         CitizenService::kMailbox,
    CitizenService::kPayments, CitizenService::kApplySocialPass, CitizenService::kApplyVolunteerCard};

std::string_view AssuranceName(Assurance level) {
  switch (level) {
    case Assurance::kLow:
      return "low";
    case Assurance::kSubstantial:
      return "substantial";
    case Assurance::kHigh:
      return "high";
  }
  return "low";
}

std::optional<Assurance> ParseAssurance(std::string_view name) {
  for (Assurance level : AllAssurances()) {
    if (AssuranceName(level) == name) return level;
  }
  return std::nullopt;
}

const std::vector<Assurance>& AllAssurances() {
  static const std::vector<Assurance> kAll = {Assurance::kLow, Assurance::kSubstantial, Assurance::kHigh};
  return kAll;
}

std::string_view CitizenServiceName(CitizenService service) { return RuleFor(service).name; }

Assurance RequiredAssurance(CitizenService service) { return RuleFor(service).needs; }

CitizenAccess DecideCitizenAccess(std::optional<Assurance> session_level, CitizenService service) {
  if (!session_level) return CitizenAccess::kSignInNeeded;
  return *session_level >= RequiredAssurance(service) ? CitizenAccess::kAllowed : CitizenAccess::kStepUpNeeded;
}

}  // namespace passwerk::accounts
