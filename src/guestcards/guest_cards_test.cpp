// What a guest card does after its registration, on every backend: its status
// for the guest who proves the card and for office staff, a replacement card
// that keeps the cycle, and the withdrawal of marketing consent.
#include <gtest/gtest.h>

#include "cards/card_number.h"
#include "core/dates.h"
#include "guestcards/registrations.h"
#include "guestcards/retention.h"
#include "guestcards/testing/guest_card_fixture.h"
#include "storage/testing/backends.h"

namespace passwerk::guestcards {
namespace {

class GuestCardTest : public testing::GuestCardFixture {};

TEST_P(GuestCardTest, ConsentWithdrawalDeletesTheContact) {
  RegistrationResult r = RegisterDemo();
  ASSERT_EQ(Count("marketing.contacts"), 1);
  ASSERT_TRUE(service_->WithdrawConsent(r.consent_id, "req").ok());
  EXPECT_EQ(Count("marketing.contacts"), 0);
  EXPECT_EQ(service_->WithdrawConsent(r.consent_id, "req").code(), ErrorCode::kNotFound);
}

TEST_P(GuestCardTest, CardStatusForTheGuestWhoProvesTheCardAndForOfficeStaff) {
  RegistrationResult r = RegisterDemo();
  RegistrationResult other = RegisterDemo();
  auto status = service_->CardStatusForGuest(r.cards[0].card_number, r.registration_number, "req");
  ASSERT_TRUE(status.ok()) << status.status().ToString();
  EXPECT_EQ(status->card_type, "1.0");
  EXPECT_EQ(status->status, "in_service");
  EXPECT_EQ(status->arrival, "2026-03-29");
  EXPECT_EQ(status->departure, "2026-04-03");
  EXPECT_EQ(status->spa_tax_cents, 1200);
  EXPECT_EQ(status->place, "Kellenhusen (Ostsee)");
  // Grouped input is fine; another registration's number, or a card of another registration, is not.
  std::string grouped = cards::FormatCardNumber(r.cards[1].card_number);
  EXPECT_EQ(service_->CardStatusForGuest(grouped, r.registration_number, "req")->spa_tax_cents, 0);
  EXPECT_EQ(service_->CardStatusForGuest(r.cards[0].card_number, other.registration_number, "req").status().code(),
            ErrorCode::kNotFound);
  EXPECT_EQ(service_->CardStatusForGuest(other.cards[0].card_number, r.registration_number, "req").status().code(),
            ErrorCode::kNotFound);
  EXPECT_EQ(service_->CardStatusForGuest("not a card", r.registration_number, "req").status().code(),
            ErrorCode::kNotFound);
  EXPECT_TRUE(service_->CardStatusForStaff(cli_, r.cards[0].card_number).ok());
  EXPECT_EQ(service_->CardStatusForStaff(landlord_a_.actor, r.cards[0].card_number).status().code(),
            ErrorCode::kPermissionDenied);
  EXPECT_EQ(Column("SELECT actor FROM audit.entries WHERE action = 'card_status.view' ORDER BY seq"),
            (std::vector<std::string>{"guest", "guest", "cli"}));
  // After unlinking, the stay dates stay (logistics), the tax is no longer reachable.
  ASSERT_TRUE(RunRetention(test_db_->db(), clock_, cli_, *ParseIsoDate("2026-05-01"), false).ok());
  auto later = service_->CardStatusForGuest(r.cards[0].card_number, r.registration_number, "req");
  ASSERT_TRUE(later.ok());
  EXPECT_EQ(later->status, "departed");
  EXPECT_FALSE(later->spa_tax_cents.has_value());
  EXPECT_EQ(later->departure, "2026-04-03");
}

TEST_P(GuestCardTest, AReplacementCardKeepsTheCycleAndChangesOnlyTheNumber) {
  RegistrationResult r = RegisterDemo();
  std::string old_number = r.cards[0].card_number;
  auto cycle_before = Column("SELECT cycle_id FROM card_link.links WHERE card_number = '" + old_number + "'");
  ASSERT_EQ(cycle_before.size(), 1u);
  EXPECT_EQ(service_->ReplaceGuestCard(landlord_a_.actor, old_number, r.registration_number, "lost").status().code(),
            ErrorCode::kPermissionDenied);
  EXPECT_EQ(service_->ReplaceGuestCard(cli_, old_number, "AAAA-AAAA-AAAA", "lost").status().code(),
            ErrorCode::kNotFound);
  auto issued = service_->ReplaceGuestCard(cli_, old_number, r.registration_number, "lost");
  ASSERT_TRUE(issued.ok()) << issued.status().ToString();
  EXPECT_NE(issued->card_number, old_number);
  EXPECT_EQ(issued->barcode.substr(18, 12), issued->card_number);
  EXPECT_EQ(Column("SELECT cycle_id FROM card_link.links WHERE card_number = '" + issued->card_number + "'"),
            cycle_before);
  EXPECT_TRUE(Column("SELECT cycle_id FROM card_link.links WHERE card_number = '" + old_number + "'").empty());
  EXPECT_EQ(Column("SELECT status FROM logistics.cards WHERE card_number = '" + old_number + "'"),
            std::vector<std::string>{"replaced"});
  auto status = service_->CardStatusForGuest(issued->card_number, r.registration_number, "req");
  ASSERT_TRUE(status.ok()) << status.status().ToString();
  EXPECT_EQ(status->spa_tax_cents, 1200) << "the cycle keeps its data";
  EXPECT_EQ(service_->CardStatusForGuest(old_number, r.registration_number, "req").status().code(),
            ErrorCode::kNotFound);
  EXPECT_EQ(service_->ReplaceGuestCard(cli_, old_number, r.registration_number, "again").status().code(),
            ErrorCode::kFailedPrecondition);
  EXPECT_EQ(Column("SELECT action FROM audit.entries WHERE action = 'card_link.issue_replacement'").size(), 1u);
}

INSTANTIATE_TEST_SUITE_P(Backends, GuestCardTest, ::testing::ValuesIn(storage::testing::AllBackends()),
                         [](const auto& param_info) { return storage::testing::BackendName(param_info.param); });

}  // namespace
}  // namespace passwerk::guestcards
