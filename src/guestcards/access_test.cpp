// Who may do what with guest-card data: landlords, the municipality's office,
// operators and the command line, token scopes.
#include "guestcards/access.h"

#include <gtest/gtest.h>

namespace passwerk::guestcards {
namespace {

accounts::Actor UserActor(accounts::Role role, std::optional<int64_t> municipality_id) {
  accounts::Actor actor;
  actor.id = "user:1";
  accounts::User user;
  user.id = 1;
  user.role = role;
  user.municipality_id = municipality_id;
  actor.user = user;
  return actor;
}

TEST(GuestCardAccessTest, TheOfficeIsTheMunicipalitysAdministratorsAndClerks) {
  using accounts::Role;
  accounts::Actor cli;
  cli.id = "cli";
  EXPECT_TRUE(IsOfficeFor(cli, 7)) << "the command line may do anything";
  EXPECT_TRUE(IsOfficeFor(UserActor(Role::kOperator, std::nullopt), 7));
  EXPECT_TRUE(IsOfficeFor(UserActor(Role::kMunicipalityAdmin, 7), 7));
  EXPECT_TRUE(IsOfficeFor(UserActor(Role::kClerk, 7), 7));
  EXPECT_FALSE(IsOfficeFor(UserActor(Role::kClerk, 8), 7)) << "another municipality's clerk";
  EXPECT_FALSE(IsOfficeFor(UserActor(Role::kMunicipalityAdmin, 8), 7));
  EXPECT_FALSE(IsOfficeFor(UserActor(Role::kLandlord, 7), 7));
  EXPECT_FALSE(IsOfficeFor(UserActor(Role::kAuditor, std::nullopt), 7));
  EXPECT_TRUE(IsLandlord(UserActor(Role::kLandlord, 7)));
  EXPECT_FALSE(IsLandlord(UserActor(Role::kClerk, 7)));
  EXPECT_FALSE(IsLandlord(cli));
}

TEST(GuestCardAccessTest, TokensNeedTheRegistrationsScope) {
  accounts::Actor session = UserActor(accounts::Role::kLandlord, 7);
  EXPECT_TRUE(RequireRegistrationsScope(session).ok()) << "a session carries no scopes";
  accounts::Actor token = session;
  token.via_token = true;
  EXPECT_EQ(RequireRegistrationsScope(token).code(), ErrorCode::kPermissionDenied);
  token.scopes = {"users:read", "cards:read"};
  EXPECT_EQ(RequireRegistrationsScope(token).code(), ErrorCode::kPermissionDenied);
  token.scopes.push_back(kRegistrationsScope);
  EXPECT_TRUE(RequireRegistrationsScope(token).ok());
}

}  // namespace
}  // namespace passwerk::guestcards
