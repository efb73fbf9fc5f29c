// The one way into segment card_link, on every backend: each purpose of
// 001 §3.3.3 does its part and writes one audit entry (purpose, actor, how
// many links, never a cycle id or card number), and no other code names the
// table.
#include "guestcards/card_link.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "audit/audit_log.h"
#include "guestcards/testing/guest_card_fixture.h"
#include "storage/testing/backends.h"

namespace passwerk::guestcards {
namespace {

using storage::Tx;
using testing::StockNumber;

class CardLinkTest : public ::testing::TestWithParam<storage::testing::Backend> {
 protected:
  void SetUp() override {
    std::string reason;
    test_db_ = storage::testing::TestDatabase::Create(GetParam(),
                                                      {storage::Segment::kAudit, storage::Segment::kCardLink}, &reason);
    if (!test_db_) GTEST_SKIP() << reason;
  }

  // Runs `body` in a write transaction; its status.
  Status Write(const std::function<Status(Tx&)>& body) { return test_db_->db().Write(body); }

  std::vector<audit::AuditEntry> Entries() {
    audit::AuditFilter filter;
    filter.action_prefix = "card_link.";
    filter.limit = 100;
    auto entries = audit::List(test_db_->db(), filter);
    EXPECT_TRUE(entries.ok()) << entries.status().ToString();
    if (!entries.ok()) return {};
    std::reverse(entries->begin(), entries->end());  // oldest first
    return *entries;
  }

  int64_t Links() {
    int64_t count = -1;
    EXPECT_TRUE(test_db_->db()
                    .Read([&](Tx& tx) -> Status {
                      PW_ASSIGN_OR_RETURN(storage::Row row, tx.QueryOne("SELECT COUNT(*) FROM card_link.links"));
                      count = row.Int(0);
                      return Status::Ok();
                    })
                    .ok());
    return count;
  }

  ManualClock clock_{1782900000};
  std::unique_ptr<storage::testing::TestDatabase> test_db_;
  const LinkAccess access_{"user:3", "req-9", "registration:K7QX-M2PD-5RTA"};
  const std::string a_ = StockNumber("103", 1);
  const std::string b_ = StockNumber("103", 2);
  const std::string c_ = StockNumber("103", 3);
};

TEST(LinkPurposeTest, NamesAsTheAuditTrailShowsThem) {
  EXPECT_EQ(LinkPurposeName(LinkPurpose::kEnrolGuestData), "enrol_guest_data");
  EXPECT_EQ(LinkPurposeName(LinkPurpose::kUpdateCard), "update_card");
  EXPECT_EQ(LinkPurposeName(LinkPurpose::kRecordTransactions), "record_transactions");
  EXPECT_EQ(LinkPurposeName(LinkPurpose::kPrepareReinitialise), "prepare_reinitialisation");
  EXPECT_EQ(LinkPurposeName(LinkPurpose::kIssueReplacement), "issue_replacement");
  EXPECT_EQ(LinkPurposeName(LinkPurpose::kUnlink), "unlink");
  EXPECT_EQ(LinkPurposeName(LinkPurpose::kRotateAnnualCycle), "rotate_annual_cycle");
}

TEST_P(CardLinkTest, EveryPurposeWritesOneAuditEntryWithoutTheLink) {
  std::vector<std::string> cycles;
  std::vector<std::string> rotated;
  ASSERT_TRUE(Write([&](Tx& tx) -> Status {
                PW_ASSIGN_OR_RETURN(cycles, EnrolCards(tx, clock_, access_, {a_, b_, c_}));
                for (LinkPurpose purpose : {LinkPurpose::kEnrolGuestData, LinkPurpose::kUpdateCard,
                                            LinkPurpose::kRecordTransactions, LinkPurpose::kPrepareReinitialise}) {
                  PW_ASSIGN_OR_RETURN(auto found, CyclesOf(tx, clock_, purpose, access_, {a_, StockNumber("103", 9)}));
                  EXPECT_EQ(found, (std::vector<std::optional<std::string>>{cycles[0], std::nullopt}));
                }
                PW_RETURN_IF_ERROR(ReplaceCardNumber(tx, clock_, access_, a_, StockNumber("103", 4)));
                PW_ASSIGN_OR_RETURN(auto fresh, RotateCycles(tx, clock_, access_, {cycles[1], "not-a-cycle"}));
                EXPECT_TRUE(fresh[0].has_value());
                EXPECT_NE(fresh[0], cycles[1]);
                EXPECT_FALSE(fresh[1].has_value());
                rotated.push_back(*fresh[0]);
                PW_ASSIGN_OR_RETURN(int64_t removed, UnlinkCycles(tx, clock_, access_, {cycles[2], "not-a-cycle"}));
                EXPECT_EQ(removed, 1);
                return Status::Ok();
              }).ok());
  ASSERT_EQ(cycles.size(), 3u);
  EXPECT_EQ(Links(), 2);

  std::vector<audit::AuditEntry> entries = Entries();
  std::vector<std::pair<std::string, std::string>> seen;
  for (const audit::AuditEntry& e : entries) seen.emplace_back(e.event.action, e.event.detail);
  EXPECT_EQ(seen, (std::vector<std::pair<std::string, std::string>>{
                      {"card_link.enrol_guest_data", R"({"links":3})"},
                      {"card_link.enrol_guest_data", R"({"links":2})"},
                      {"card_link.update_card", R"({"links":2})"},
                      {"card_link.record_transactions", R"({"links":2})"},
                      {"card_link.prepare_reinitialisation", R"({"links":2})"},
                      {"card_link.issue_replacement", R"({"links":1})"},
                      {"card_link.rotate_annual_cycle", R"({"links":1})"},
                      {"card_link.unlink", R"({"links":2})"},
                  }));
  for (const audit::AuditEntry& e : entries) {
    EXPECT_EQ(e.event.actor, "user:3");
    EXPECT_EQ(e.event.request_id, "req-9");
    EXPECT_EQ(e.event.object, "registration:K7QX-M2PD-5RTA");
    for (const std::string& secret : {cycles[0], cycles[1], cycles[2], rotated[0], a_, b_, c_}) {
      EXPECT_EQ(e.event.detail.find(secret), std::string::npos) << e.event.action;
      EXPECT_EQ(e.event.object.find(secret), std::string::npos) << e.event.action;
    }
  }
  auto verified = audit::Verify(test_db_->db());
  ASSERT_TRUE(verified.ok());
  EXPECT_TRUE(verified->ok);
}

TEST_P(CardLinkTest, ACardIsLinkedToOneCycleAtATime) {
  ASSERT_TRUE(Write([&](Tx& tx) { return EnrolCards(tx, clock_, access_, {a_}).status(); }).ok());
  Status again = Write([&](Tx& tx) { return EnrolCards(tx, clock_, access_, {b_, a_}).status(); });
  EXPECT_EQ(again.code(), ErrorCode::kAlreadyExists);
  EXPECT_EQ(again.field(), "card_number");
  EXPECT_EQ(Links(), 1) << "the batch is rolled back whole";
  EXPECT_EQ(Entries().size(), 1u);
}

TEST_P(CardLinkTest, CallersThatAuditThemselvesWriteOneEntryForMany) {
  ASSERT_TRUE(Write([&](Tx& tx) -> Status {
                PW_RETURN_IF_ERROR(EnrolCards(tx, clock_, access_, {a_}, /*audit=*/false).status());
                PW_RETURN_IF_ERROR(EnrolCards(tx, clock_, access_, {b_, c_}, /*audit=*/false).status());
                return AuditLinkAccess(tx, clock_, LinkPurpose::kEnrolGuestData, access_, 3);
              }).ok());
  EXPECT_EQ(Links(), 3);
  auto entries = Entries();
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].event.detail, R"({"links":3})");
}

TEST_P(CardLinkTest, WritingPurposesAreNoReadingPurposes) {
  for (LinkPurpose purpose : {LinkPurpose::kIssueReplacement, LinkPurpose::kUnlink, LinkPurpose::kRotateAnnualCycle}) {
    Status refused = Write([&](Tx& tx) { return CyclesOf(tx, clock_, purpose, access_, {a_}).status(); });
    EXPECT_EQ(refused.code(), ErrorCode::kInternal) << LinkPurposeName(purpose);
  }
  EXPECT_TRUE(Entries().empty());
}

TEST_P(CardLinkTest, NothingToDoWritesNoEntryAndAnUnlinkedCardIsNotFound) {
  ASSERT_TRUE(Write([&](Tx& tx) -> Status {
                PW_ASSIGN_OR_RETURN(auto none, EnrolCards(tx, clock_, access_, {}));
                EXPECT_TRUE(none.empty());
                PW_ASSIGN_OR_RETURN(auto rotated, RotateCycles(tx, clock_, access_, {}));
                EXPECT_TRUE(rotated.empty());
                PW_ASSIGN_OR_RETURN(int64_t removed, UnlinkCycles(tx, clock_, access_, {}));
                EXPECT_EQ(removed, 0);
                return Status::Ok();
              }).ok());
  EXPECT_TRUE(Entries().empty());
  Status replaced = Write([&](Tx& tx) { return ReplaceCardNumber(tx, clock_, access_, a_, b_); });
  EXPECT_EQ(replaced.code(), ErrorCode::kNotFound);
  EXPECT_EQ(replaced.field(), "card_number");
  EXPECT_TRUE(Entries().empty());
}

TEST(CardLinkSourceTest, NoOtherCodeNamesTheLinkTable) {
  namespace fs = std::filesystem;
  const fs::path src = fs::path(PASSWERK_SOURCE_DIR) / "src";
  std::vector<std::string> offenders;
  for (const auto& entry : fs::recursive_directory_iterator(src)) {
    if (!entry.is_regular_file()) continue;
    const std::string name = entry.path().filename().string();
    const std::string ext = entry.path().extension().string();
    if (ext != ".cpp" && ext != ".h") continue;
    if (name.ends_with("_test.cpp") || entry.path().parent_path().filename() == "testing") continue;
    std::ifstream in(entry.path());
    std::stringstream text;
    text << in.rdbuf();
    if (text.str().find("card_link.links") == std::string::npos) continue;
    const std::string relative = fs::relative(entry.path(), src).string();
    if (relative != "guestcards/card_link.cpp" && relative != "guestcards/card_link.h" &&
        relative != "storage/migrations.cpp") {
      offenders.push_back(relative);
    }
  }
  EXPECT_TRUE(offenders.empty()) << ::testing::PrintToString(offenders);
}

INSTANTIATE_TEST_SUITE_P(Backends, CardLinkTest, ::testing::ValuesIn(storage::testing::AllBackends()),
                         [](const auto& param_info) { return storage::testing::BackendName(param_info.param); });

}  // namespace
}  // namespace passwerk::guestcards
