// Who may do what with guest-card data: landlords, the municipality's office,
// operators and the command line, token scopes.
#include "guestcards/access.h"

#include <gtest/gtest.h>

#include "accounts/testing/actors.h"

namespace passwerk::guestcards {
namespace {

TEST(GuestCardAccessTest, TheOfficeIsTheMunicipalitysAdministratorsAndClerks) {
  using accounts::Role;
  accounts::Actor cli;
  cli.id = "cli";
  EXPECT_TRUE(IsOfficeFor(cli, 7)) << "the command line may do anything";
  EXPECT_TRUE(IsOfficeFor(accounts::testing::InMemoryStaff(1, Role::kOperator, std::nullopt), 7));
  EXPECT_TRUE(IsOfficeFor(accounts::testing::InMemoryStaff(1, Role::kMunicipalityAdmin, 7), 7));
  EXPECT_TRUE(IsOfficeFor(accounts::testing::InMemoryStaff(1, Role::kClerk, 7), 7));
  EXPECT_FALSE(IsOfficeFor(accounts::testing::InMemoryStaff(1, Role::kClerk, 8), 7)) << "another municipality's clerk";
  EXPECT_FALSE(IsOfficeFor(accounts::testing::InMemoryStaff(1, Role::kMunicipalityAdmin, 8), 7));
  EXPECT_FALSE(IsOfficeFor(accounts::testing::InMemoryStaff(1, Role::kLandlord, 7), 7));
  EXPECT_FALSE(IsOfficeFor(accounts::testing::InMemoryStaff(1, Role::kAuditor, std::nullopt), 7));
  EXPECT_TRUE(IsLandlord(accounts::testing::InMemoryStaff(1, Role::kLandlord, 7)));
  EXPECT_FALSE(IsLandlord(accounts::testing::InMemoryStaff(1, Role::kClerk, 7)));
  EXPECT_FALSE(IsLandlord(cli));
}

TEST(GuestCardAccessTest, TokensNeedTheRegistrationsScope) {
  accounts::Actor session = accounts::testing::InMemoryStaff(1, accounts::Role::kLandlord, 7);
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
