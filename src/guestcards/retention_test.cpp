// Retention (001 §3.3.3.3, §3.5) on every backend: unlinking 14 days after
// departure, forms deleted after a year, audit entries pruned as a prefix,
// dry runs, idempotence, and a run interrupted anywhere.
#include "guestcards/retention.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "audit/audit_log.h"
#include "guestcards/testing/guest_card_fixture.h"
#include "storage/testing/backends.h"
#include "storage/testing/faulty_database.h"

namespace passwerk::guestcards {
namespace {

using storage::Segment;

class RetentionTest : public testing::GuestCardFixture {};

TEST_P(RetentionTest, UnlinksAfterFourteenDaysAndDeletesFormsAfterAYear) {
  RegistrationResult r = RegisterDemo();  // departure 2026-04-03
  auto run = [&](const char* as_of, bool dry_run) {
    auto report = RunRetention(test_db_->db(), clock_, cli_, *ParseIsoDate(as_of), dry_run);
    EXPECT_TRUE(report.ok()) << report.status().ToString();
    return report.ok() ? *report : RetentionReport{};
  };
  EXPECT_EQ(run("2026-04-16", false).cycles_historised, 0) << "13 days after departure: still linked";
  RetentionReport dry = run("2026-04-17", true);
  EXPECT_EQ(dry.cycles_historised, 2);
  EXPECT_EQ(dry.cards_departed, 2);
  EXPECT_EQ(Count("card_link.links"), 2) << "a dry run changes nothing";
  RetentionReport real = run("2026-04-17", false);
  EXPECT_EQ(real.cycles_historised, 2);
  EXPECT_EQ(real.cards_departed, 2);
  EXPECT_EQ(real.forms_deleted, 0);
  EXPECT_EQ(Count("card_link.links"), 0);
  EXPECT_EQ(Count("card_usage.cycles"), 0);
  EXPECT_EQ(Count("history.cycles"), 2);
  EXPECT_EQ(Column("SELECT DISTINCT status FROM logistics.cards"), std::vector<std::string>{"departed"});
  EXPECT_EQ(run("2026-04-17", false).cycles_historised, 0) << "idempotent";
  if (GetParam() != storage::testing::Backend::kSqliteMemory) {
    ASSERT_TRUE(test_db_->Reopen().ok());
    service_ = std::make_unique<RegistrationService>(test_db_->db(), clock_, box_);  // the old handle is gone
    std::string history = SegmentBytes(Segment::kHistory);
    ASSERT_NE(history.find("0-17"), std::string::npos) << "the search must find what is there";
    for (const IssuedCard& card : r.cards) EXPECT_EQ(history.find(card.card_number), std::string::npos);
    EXPECT_EQ(history.find(r.registration_number), std::string::npos);
  }
  EXPECT_EQ(Count("history.cycles"), 2);
  // The registration form goes one year after departure; the spa tax stays.
  EXPECT_EQ(run("2027-04-02", false).forms_deleted, 0);
  EXPECT_EQ(run("2027-04-03", false).forms_deleted, 1);
  auto details = service_->GetRegistration(landlord_a_.actor, r.registration_number);
  ASSERT_TRUE(details.ok());
  EXPECT_TRUE(details->form.is_null());
  EXPECT_EQ(details->summary.total_cents, 1200);
  EXPECT_EQ(Column("SELECT action FROM audit.entries WHERE action LIKE 'retention.%' ORDER BY seq"),
            (std::vector<std::string>{"retention.run", "retention.dry_run", "retention.run", "retention.run",
                                      "retention.run", "retention.run"}));
  EXPECT_EQ(Column("SELECT action FROM audit.entries WHERE action = 'card_link.unlink'").size(), 1u);
  // The audit entries (all written in 2026 here) stay through 2027 and go on 1 January 2028
  // (3.3.3.5); what remains still verifies.
  EXPECT_EQ(run("2027-12-31", false).audit_entries_deleted, 0);
  EXPECT_EQ(run("2028-01-01", true).audit_entries_deleted, Count("audit.entries"));
  const int64_t entries = Count("audit.entries");
  EXPECT_GE(run("2028-01-01", false).audit_entries_deleted, entries);
  EXPECT_EQ(Column("SELECT DISTINCT action FROM audit.entries ORDER BY action"),
            (std::vector<std::string>{"audit.prune", "retention.run"}));
  auto verified = audit::Verify(test_db_->db());
  ASSERT_TRUE(verified.ok());
  EXPECT_TRUE(verified->ok) << verified->problem;
  EXPECT_GE(verified->pruned_through, entries);
}

TEST_P(RetentionTest, InterruptedAnywhereCompletesOnTheNextRun) {
  RegisterDemo();
  RegisterDemo();  // four cycles
  storage::testing::FaultyDatabase faulty(test_db_->db());
  RetentionOptions options;
  options.batch_size = 1;
  Date as_of = *ParseIsoDate("2026-05-01");
  for (int64_t n = 1;; ++n) {
    faulty.FailAt(n);
    auto report = RunRetention(faulty, clock_, cli_, as_of, false, options);
    faulty.FailAt(0);
    // Whatever failed, every cycle is either still in use and linked, or in history and unlinked.
    EXPECT_EQ(Count("card_usage.cycles"), Count("card_link.links")) << "fault at call " << n;
    EXPECT_EQ(Count("card_usage.cycles") + Count("history.cycles"), 4) << "fault at call " << n;
    if (report.ok()) break;
    ASSERT_LT(n, 500);
  }
  EXPECT_EQ(Count("history.cycles"), 4);
  EXPECT_EQ(Count("card_link.links"), 0);
}

INSTANTIATE_TEST_SUITE_P(Backends, RetentionTest, ::testing::ValuesIn(storage::testing::AllBackends()),
                         [](const auto& param_info) { return storage::testing::BackendName(param_info.param); });

}  // namespace
}  // namespace passwerk::guestcards
