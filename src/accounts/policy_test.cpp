// The access policy as a table: every action with its scope and each role's
// reach, spelled out below so that a change to who may do what shows up in a
// review of this file; then every role and scope against every action.
#include "accounts/policy.h"

#include <gtest/gtest.h>

#include <sstream>

namespace passwerk::accounts {
namespace {

constexpr Role kRoles[] = {Role::kOperator, Role::kMunicipalityAdmin, Role::kClerk, Role::kAuditor, Role::kLandlord};

// action, scope, then operator / municipality_admin / clerk / auditor / landlord.
constexpr char kExpectedTable[] = R"(municipalities.manage | - | all - - - -
users.read | users:read | all municipality - all -
users.manage | users:write | all municipality - - -
departments.manage | users:write | all municipality - - -
audit.read | audit:read | all - - all -
schemes.read | schemes:read | all municipality departments all -
schemes.manage | schemes:write | all municipality - - -
cards.read | cards:read | all municipality departments - -
cards.manage | cards:write | all municipality departments - -
partners.manage | - | all municipality - - -
tariffs.manage | - | all municipality - - -
accommodations.manage | - | all municipality - - -
registrations.read | registrations:read | all municipality municipality - own
registrations.write | registrations:write | all municipality municipality - own
guest_cards.hand_out | registrations:write | all municipality municipality - municipality
guest_cards.manage | registrations:write | all municipality municipality - -
card_stock.read | registrations:read | all municipality municipality - -
card_stock.import | registrations:write | all municipality - - -
statistics.read | statistics:read | all municipality municipality all -
catalogue.read | catalogue:read | all municipality municipality - -
catalogue.manage | catalogue:write | all municipality - - -
terminals.read | terminals:read | all municipality municipality - -
terminals.manage | terminals:write | all municipality - - -
terminal_data.read | terminals:read | all municipality municipality - -
settlement.read | settlement:read | all municipality - all -
settlement.run | settlement:write | all municipality - - -
threads.read | threads:read | - departments departments - -
threads.write | threads:write | - departments departments - -
applications.read | applications:read | - departments departments - -
applications.decide | applications:decide | - departments departments - -
)";

constexpr int64_t kHome = 1;
constexpr int64_t kElsewhere = 2;
constexpr int64_t kSocialOffice = 10;
constexpr int64_t kVolunteerOffice = 11;

User UserWith(Role role) {
  User user;
  user.id = 7;
  user.role = role;
  if (role != Role::kOperator && role != Role::kAuditor) user.municipality_id = kHome;
  if (role == Role::kClerk || role == Role::kMunicipalityAdmin) user.department_ids = {kSocialOffice};
  return user;
}

Actor SessionOf(Role role) {
  Actor actor;
  actor.id = "user:7";
  actor.user = UserWith(role);
  return actor;
}

Actor TokenOf(Role role, std::vector<std::string> scopes) {
  Actor actor = SessionOf(role);
  actor.id = "token:3";
  actor.via_token = true;
  actor.scopes = std::move(scopes);
  return actor;
}

// The resources a role's reach is told apart by.
const std::vector<std::pair<std::string, Resource>>& Resources() {
  static const std::vector<std::pair<std::string, Resource>> kResources = {
      {"any", {}},
      {"home", Resource::InMunicipality(kHome)},
      {"elsewhere", Resource::InMunicipality(kElsewhere)},
      {"home/own department", Resource::InDepartment(kHome, kSocialOffice)},
      {"home/other department", Resource::InDepartment(kHome, kVolunteerOffice)},
      {"home/own record", Resource::OwnedBy(kHome, 7)},
      {"home/someone else's record", Resource::OwnedBy(kHome, 8)},
  };
  return kResources;
}

// What each reach allows, per resource above (same order).
std::vector<bool> Allowed(Reach reach) {
  switch (reach) {
    case Reach::kNone:
      return {false, false, false, false, false, false, false};
    case Reach::kOwnRecords:
      return {true, false, false, false, false, true, false};
    case Reach::kOwnDepartments:
      return {true, true, false, true, false, true, true};
    case Reach::kOwnMunicipality:
      return {true, true, false, true, true, true, true};
    case Reach::kEverywhere:
      return {true, true, true, true, true, true, true};
  }
  return {};
}

TEST(PolicyTest, TheTableIsAsReviewed) {
  std::ostringstream table;
  for (Action action : kAllActions) {
    std::string_view scope = ScopeFor(action);
    table << ActionName(action) << " | " << (scope.empty() ? "-" : scope) << " |";
    for (Role role : kRoles) table << ' ' << ReachName(RoleReach(role, action));
    table << '\n';
  }
  EXPECT_EQ(table.str(), kExpectedTable);
}

TEST(PolicyTest, EveryRoleAgainstEveryActionAndResource) {
  for (Action action : kAllActions) {
    for (Role role : kRoles) {
      std::vector<bool> allowed = Allowed(RoleReach(role, action));
      for (size_t i = 0; i < Resources().size(); ++i) {
        const auto& [what, resource] = Resources()[i];
        SCOPED_TRACE(std::string(ActionName(action)) + " by " + std::string(RoleName(role)) + " on " + what);
        EXPECT_EQ(Can(SessionOf(role), action, resource), allowed[i]);
        // A token with the action's scope reaches exactly what the session does;
        // without it, nothing. Actions without a scope are never a token's.
        std::string_view scope = ScopeFor(action);
        if (scope.empty()) {
          EXPECT_FALSE(Can(TokenOf(role, KnownScopes()), action, resource));
        } else {
          EXPECT_EQ(Can(TokenOf(role, {std::string(scope)}), action, resource), allowed[i]);
          std::vector<std::string> others;
          for (const std::string& s : KnownScopes()) {
            if (!HasScope(TokenOf(role, {s}), scope)) others.push_back(s);
          }
          EXPECT_FALSE(Can(TokenOf(role, others), action, resource));
        }
      }
    }
  }
}

TEST(PolicyTest, TheCommandLineMayDoAnythingADisabledUserNothing) {
  Actor cli;
  cli.id = "cli";
  Actor disabled = SessionOf(Role::kOperator);
  disabled.user->disabled = true;
  for (Action action : kAllActions) {
    EXPECT_TRUE(Can(cli, action, Resource::InMunicipality(kElsewhere)));
    EXPECT_FALSE(Can(disabled, action));
  }
}

TEST(PolicyTest, AWriteScopeIncludesItsReadAndCardsIncludeSchemes) {
  EXPECT_TRUE(HasScope(TokenOf(Role::kLandlord, {"registrations:write"}), "registrations:read"));
  EXPECT_FALSE(HasScope(TokenOf(Role::kLandlord, {"registrations:read"}), "registrations:write"));
  EXPECT_TRUE(HasScope(TokenOf(Role::kClerk, {"cards:write"}), "schemes:read"));
  EXPECT_TRUE(HasScope(TokenOf(Role::kClerk, {"cards:read"}), "schemes:read"));
  EXPECT_FALSE(HasScope(TokenOf(Role::kClerk, {"schemes:read"}), "cards:read"));
  EXPECT_FALSE(HasScope(TokenOf(Role::kClerk, {"users:write"}), "audit:read"));
}

TEST(PolicyTest, ARoleMayHoldTheScopesOfItsActionsOnly) {
  auto scopes = [](Role role) {
    std::string joined;
    for (const std::string& s : ScopesForRole(role)) joined += (joined.empty() ? "" : " ") + s;
    return joined;
  };
  EXPECT_EQ(scopes(Role::kOperator),
            "users:read users:write audit:read schemes:read schemes:write cards:read cards:write registrations:read "
            "registrations:write statistics:read catalogue:read catalogue:write terminals:read terminals:write "
            "settlement:read settlement:write");
  EXPECT_EQ(scopes(Role::kMunicipalityAdmin),
            "users:read users:write schemes:read schemes:write cards:read cards:write registrations:read "
            "registrations:write statistics:read catalogue:read catalogue:write terminals:read terminals:write "
            "settlement:read settlement:write threads:read threads:write applications:read applications:decide");
  EXPECT_EQ(scopes(Role::kClerk),
            "schemes:read cards:read cards:write registrations:read registrations:write statistics:read "
            "catalogue:read terminals:read threads:read threads:write applications:read applications:decide");
  EXPECT_EQ(scopes(Role::kAuditor), "users:read audit:read schemes:read statistics:read settlement:read");
  EXPECT_EQ(scopes(Role::kLandlord), "registrations:read registrations:write");
}

TEST(PolicyTest, LacksScopeTellsAMissingScopeFromAnotherDepartment) {
  const Actor statistics = TokenOf(Role::kClerk, {"statistics:read"});
  EXPECT_TRUE(LacksScope(statistics, Action::kReadApplications));
  EXPECT_FALSE(LacksScope(statistics, Action::kReadStatistics));
  EXPECT_FALSE(LacksScope(SessionOf(Role::kClerk), Action::kReadApplications));
  EXPECT_FALSE(LacksScope(TokenOf(Role::kClerk, {"applications:decide"}), Action::kReadApplications));
  // Whose work it is follows the user, not the token: the clerk's department, not another one.
  const Resource own = Resource::InDepartment(kHome, kSocialOffice);
  const Resource other = Resource::InDepartment(kHome, kVolunteerOffice);
  EXPECT_FALSE(Can(statistics, Action::kReadApplications, own));
  EXPECT_TRUE(UserCan(statistics, Action::kReadApplications, own));
  EXPECT_FALSE(UserCan(statistics, Action::kReadApplications, other));
  EXPECT_FALSE(UserCan(TokenOf(Role::kAuditor, {"statistics:read"}), Action::kReadApplications, own));
}

TEST(PolicyTest, OnlyMunicipalityLimitsListsOfScopedRoles) {
  EXPECT_EQ(OnlyMunicipality(SessionOf(Role::kOperator), Action::kReadStatistics), std::nullopt);
  EXPECT_EQ(OnlyMunicipality(SessionOf(Role::kAuditor), Action::kReadStatistics), std::nullopt);
  EXPECT_EQ(OnlyMunicipality(SessionOf(Role::kClerk), Action::kReadStatistics), kHome);
  Actor lost = SessionOf(Role::kClerk);
  lost.user->municipality_id.reset();
  EXPECT_EQ(OnlyMunicipality(lost, Action::kReadCards), -1);
}

TEST(PolicyTest, WhoCreatesUsersOfWhichRole) {
  auto names = [](const Actor& actor) {
    std::string joined;
    for (Role role : AssignableRoles(actor)) joined += (joined.empty() ? "" : " ") + std::string(RoleName(role));
    return joined;
  };
  EXPECT_EQ(names(SessionOf(Role::kOperator)), "operator municipality_admin clerk auditor landlord");
  EXPECT_EQ(names(SessionOf(Role::kMunicipalityAdmin)), "municipality_admin clerk landlord");
  EXPECT_EQ(names(SessionOf(Role::kClerk)), "");
  EXPECT_EQ(names(SessionOf(Role::kAuditor)), "");
  EXPECT_EQ(names(TokenOf(Role::kMunicipalityAdmin, {"users:read"})), "") << "creating users needs users:write";
}

TEST(PolicyTest, RefusalsSayWhatIsMissing) {
  Status no_scope = Require(TokenOf(Role::kClerk, {"users:read"}), Action::kManageCards);
  EXPECT_EQ(no_scope.code(), ErrorCode::kPermissionDenied);
  EXPECT_NE(no_scope.message().find("cards:write"), std::string::npos);
  Status staff_only = Require(TokenOf(Role::kOperator, KnownScopes()), Action::kManagePartners);
  EXPECT_NE(staff_only.message().find("not with a token"), std::string::npos);
  Status elsewhere = Require(SessionOf(Role::kClerk), Action::kManageCards, Resource::InMunicipality(kElsewhere));
  EXPECT_NE(elsewhere.message().find("own municipality"), std::string::npos);
}

}  // namespace
}  // namespace passwerk::accounts
