// Who may do what with guest-card data: landlords, the municipality's office,
// operators and the command line, token scopes, and the audit entry written
// in the caller's transaction.
#include "guestcards/access.h"

#include <gtest/gtest.h>

#include "audit/audit_log.h"
#include "storage/testing/backends.h"

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

TEST(GuestCardAccessTest, AuditAppendsInTheCallersTransactionOnly) {
  std::string reason;
  auto test_db = storage::testing::TestDatabase::Create(storage::testing::Backend::kSqliteMemory,
                                                        {storage::Segment::kCore, storage::Segment::kAudit}, &reason);
  ASSERT_TRUE(test_db) << reason;
  ManualClock clock(1795000000);
  accounts::Actor actor = UserActor(accounts::Role::kClerk, 7);
  actor.request_id = "req-1";
  // Rolled back with the change it belongs to.
  Status rolled_back = test_db->db().Write([&](storage::Tx& tx) -> Status {
    PW_RETURN_IF_ERROR(Audit(tx, clock, actor, "annual_card.issue", "annual:A", {{"basis", "mooring"}}));
    return FailedPrecondition("the change failed");
  });
  EXPECT_EQ(rolled_back.code(), ErrorCode::kFailedPrecondition);
  ASSERT_TRUE(test_db->db()
                  .Write([&](storage::Tx& tx) {
                    return Audit(tx, clock, actor, "annual_card.issue", "annual:B", {{"basis", "mooring"}});
                  })
                  .ok());
  std::vector<std::string> entries;
  ASSERT_TRUE(test_db->db()
                  .Read([&](storage::Tx& tx) -> Status {
                    PW_ASSIGN_OR_RETURN(storage::Rows rows,
                                        tx.Query("SELECT actor || '|' || action || '|' || object || '|' || detail || "
                                                 "'|' || request_id || '|' || CAST(at AS TEXT) FROM audit.entries"));
                    for (const auto& row : rows) entries.push_back(row.Text(0));
                    return Status::Ok();
                  })
                  .ok());
  EXPECT_EQ(entries,
            std::vector<std::string>{"user:1|annual_card.issue|annual:B|{\"basis\":\"mooring\"}|req-1|1795000000"});
  auto verified = audit::Verify(test_db->db());
  ASSERT_TRUE(verified.ok());
  EXPECT_TRUE(verified->ok) << verified->problem;
}

}  // namespace
}  // namespace passwerk::guestcards
