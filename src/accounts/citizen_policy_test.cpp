#include "accounts/citizen_policy.h"

#include <gtest/gtest.h>

#include <set>

namespace passwerk::accounts {
namespace {

TEST(CitizenPolicyTest, LevelsRoundTripAndAreOrdered) {
  for (Assurance level : AllAssurances()) EXPECT_EQ(ParseAssurance(AssuranceName(level)), level);
  EXPECT_EQ(ParseAssurance("medium"), std::nullopt);
  EXPECT_EQ(ParseAssurance("LOW"), std::nullopt) << "the names are exact";
  EXPECT_LT(Assurance::kLow, Assurance::kSubstantial);
  EXPECT_LT(Assurance::kSubstantial, Assurance::kHigh);
}

TEST(CitizenPolicyTest, EveryServiceHasAUniqueNameAndALevel) {
  std::set<std::string_view> names;
  for (CitizenService service : kAllCitizenServices) {
    EXPECT_TRUE(names.insert(CitizenServiceName(service)).second) << CitizenServiceName(service);
  }
  EXPECT_EQ(RequiredAssurance(CitizenService::kApplySocialPass), Assurance::kSubstantial);
  EXPECT_EQ(RequiredAssurance(CitizenService::kMyCards), Assurance::kLow);
}

TEST(CitizenPolicyTest, TooLowASessionNeedsAStepUpNoSessionASignIn) {
  EXPECT_EQ(DecideCitizenAccess(std::nullopt, CitizenService::kMyCards), CitizenAccess::kSignInNeeded);
  EXPECT_EQ(DecideCitizenAccess(Assurance::kLow, CitizenService::kMyCards), CitizenAccess::kAllowed);
  EXPECT_EQ(DecideCitizenAccess(Assurance::kLow, CitizenService::kApplySocialPass), CitizenAccess::kStepUpNeeded);
  EXPECT_EQ(DecideCitizenAccess(Assurance::kSubstantial, CitizenService::kApplySocialPass), CitizenAccess::kAllowed);
  EXPECT_EQ(DecideCitizenAccess(Assurance::kHigh, CitizenService::kApplySocialPass), CitizenAccess::kAllowed);
}

}  // namespace
}  // namespace passwerk::accounts
