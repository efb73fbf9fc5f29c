// The audit chain on every backend: appends verify, and each kind of
// tampering (altered, removed, reordered, truncated) is named by verify.
#include "audit/audit_log.h"

#include <gtest/gtest.h>

#include <thread>

#include "storage/testing/backends.h"

namespace passwerk::audit {
namespace {

using storage::testing::Backend;
using storage::testing::TestDatabase;

class AuditLogTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    std::string reason;
    test_db_ = TestDatabase::Create(GetParam(), {storage::Segment::kCore, storage::Segment::kAudit}, &reason);
    if (!test_db_) GTEST_SKIP() << reason;
  }
  storage::Database& db() { return test_db_->db(); }

  void AppendN(int n) {
    for (int i = 0; i < n; ++i) {
      ASSERT_TRUE(db().Write([&](storage::Tx& tx) -> Status {
                        auto seq = Append(tx, clock_,
                                          {"user:1", "user.create", "user:" + std::to_string(i),
                                           R"({"n":)" + std::to_string(i) + "}", "req"});
                        return seq.ok() ? Status::Ok() : seq.status();
                      })
                      .ok());
      clock_.Advance(10);
    }
  }

  void Tamper(const std::string& sql, const storage::Params& params = {}) {
    ASSERT_TRUE(db().Write([&](storage::Tx& tx) -> Status {
                      auto r = tx.Exec(sql, params);
                      return r.ok() ? Status::Ok() : r.status();
                    })
                    .ok());
  }

  VerifyReport VerifyNow() {
    auto report = Verify(db());
    EXPECT_TRUE(report.ok()) << report.status().ToString();
    return report.ok() ? *report : VerifyReport{};
  }

  ManualClock clock_{1795000000};
  std::unique_ptr<TestDatabase> test_db_;
};

TEST_P(AuditLogTest, EmptyChainVerifies) {
  VerifyReport report = VerifyNow();
  EXPECT_TRUE(report.ok);
  EXPECT_EQ(report.entries, 0);
}

TEST_P(AuditLogTest, AppendedEntriesChainAndSurviveReopen) {
  AppendN(5);
  ASSERT_TRUE(test_db_->Reopen().ok());
  VerifyReport report = VerifyNow();
  EXPECT_TRUE(report.ok) << report.problem;
  EXPECT_EQ(report.entries, 5);
  auto entries = List(db(), {});
  ASSERT_TRUE(entries.ok());
  ASSERT_EQ(entries->size(), 5u);
  EXPECT_EQ((*entries)[0].seq, 5);  // newest first
  EXPECT_EQ((*entries)[0].prev_hash, (*entries)[1].entry_hash);
}

TEST_P(AuditLogTest, RolledBackChangeLeavesNoEntry) {
  AppendN(1);
  Status status = db().Write([&](storage::Tx& tx) -> Status {
    auto seq = Append(tx, clock_, {"user:1", "user.disable", "user:9", "{}", "req"});
    if (!seq.ok()) return seq.status();
    return FailedPrecondition("the change itself failed");
  });
  EXPECT_FALSE(status.ok());
  AppendN(1);
  VerifyReport report = VerifyNow();
  EXPECT_TRUE(report.ok) << report.problem;
  EXPECT_EQ(report.entries, 2);
}

TEST_P(AuditLogTest, AlteredEntryIsNamed) {
  AppendN(4);
  Tamper("UPDATE audit.entries SET detail = $1 WHERE seq = 3", {std::string(R"({"n":99})")});
  VerifyReport report = VerifyNow();
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.first_bad_seq, 3);
  EXPECT_NE(report.problem.find("altered"), std::string::npos);
}

TEST_P(AuditLogTest, RemovedEntryIsNamed) {
  AppendN(4);
  Tamper("DELETE FROM audit.entries WHERE seq = 2");
  VerifyReport report = VerifyNow();
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.first_bad_seq, 2);
  EXPECT_NE(report.problem.find("removed"), std::string::npos);
}

TEST_P(AuditLogTest, ReorderedEntriesAreNamed) {
  AppendN(4);
  // Swap the contents of entries 2 and 3, each keeping a self-consistent hash.
  Tamper("UPDATE audit.entries SET seq = 100 WHERE seq = 2");
  Tamper("UPDATE audit.entries SET seq = 2 WHERE seq = 3");
  Tamper("UPDATE audit.entries SET seq = 3 WHERE seq = 100");
  VerifyReport report = VerifyNow();
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.first_bad_seq, 2);
}

TEST_P(AuditLogTest, TruncatedTailIsNamed) {
  AppendN(3);
  Tamper("DELETE FROM audit.entries WHERE seq = 3");
  VerifyReport report = VerifyNow();
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.first_bad_seq, 3);
}

TEST_P(AuditLogTest, ConcurrentAppendsFormOneChain) {
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 15; ++i) {
        Status s = db().Write([&](storage::Tx& tx) -> Status {
          auto seq = Append(tx, clock_, {"system", "test.append", "x", "{}", "req"});
          return seq.ok() ? Status::Ok() : seq.status();
        });
        EXPECT_TRUE(s.ok()) << s.ToString();
      }
    });
  }
  for (auto& thread : threads) thread.join();
  VerifyReport report = VerifyNow();
  EXPECT_TRUE(report.ok) << report.problem;
  EXPECT_EQ(report.entries, 60);
}

TEST_P(AuditLogTest, FiltersByActionPrefixActorAndTime) {
  AppendN(3);
  ASSERT_TRUE(db().Write([&](storage::Tx& tx) -> Status {
                    auto seq = Append(tx, clock_, {"user:2", "session.login", "user:2", "{}", "r"});
                    return seq.ok() ? Status::Ok() : seq.status();
                  })
                  .ok());
  AuditFilter filter;
  filter.action_prefix = "user.";
  auto users = List(db(), filter);
  ASSERT_TRUE(users.ok());
  EXPECT_EQ(users->size(), 3u);
  filter = {};
  filter.actor = "user:2";
  auto by_actor = List(db(), filter);
  ASSERT_TRUE(by_actor.ok());
  ASSERT_EQ(by_actor->size(), 1u);
  EXPECT_EQ((*by_actor)[0].event.action, "session.login");
  filter = {};
  filter.from = 1795000010;
  filter.to = 1795000030;
  auto by_time = List(db(), filter);
  ASSERT_TRUE(by_time.ok());
  EXPECT_EQ(by_time->size(), 2u);
  filter = {};
  filter.action_prefix = "%";  // no wildcard semantics
  auto wildcard = List(db(), filter);
  ASSERT_TRUE(wildcard.ok());
  EXPECT_TRUE(wildcard->empty());
}

TEST_P(AuditLogTest, PruningDeletesAPrefixAndTheRestStillVerifies) {
  AppendN(25);  // at 1795000000, …010, …, …240
  const AuditEvent by{"system", "", "", "", "retention-1"};
  auto dry = Prune(db(), clock_, by, 1795000100, /*dry_run=*/true);
  ASSERT_TRUE(dry.ok()) << dry.status().ToString();
  EXPECT_EQ(dry->entries, 10);
  EXPECT_EQ(VerifyNow().entries, 25) << "a dry run deletes nothing";
  auto pruned = Prune(db(), clock_, by, 1795000100, /*dry_run=*/false, /*batch_size=*/4);
  ASSERT_TRUE(pruned.ok()) << pruned.status().ToString();
  EXPECT_EQ(pruned->entries, 10);
  EXPECT_EQ(pruned->through_seq, 10);  // three batches: through 4, 8 and 10
  VerifyReport report = VerifyNow();
  EXPECT_TRUE(report.ok) << report.problem;
  EXPECT_EQ(report.pruned_through, 10);
  EXPECT_EQ(report.entries, 18);  // 11 to 25 and a prune entry per batch
  auto rest = List(db(), {.limit = 500});
  ASSERT_TRUE(rest.ok());
  EXPECT_EQ(rest->back().seq, 11);
  EXPECT_EQ(rest->front().event.action, "audit.prune");
  // Again: nothing more is old enough.
  auto again = Prune(db(), clock_, by, 1795000100, false);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->entries, 0);
  AppendN(1);
  EXPECT_TRUE(VerifyNow().ok);
}

TEST_P(AuditLogTest, AnAnchorMovedByHandIsNamed) {
  AppendN(6);
  ASSERT_TRUE(Prune(db(), clock_, {"system", "", "", "", "r"}, 1795000020, false).ok());
  EXPECT_TRUE(VerifyNow().ok);
  // Deleting more and moving the anchor over the gap, as someone hiding entries would.
  Tamper("DELETE FROM audit.entries WHERE seq <= 4");
  Tamper("UPDATE audit.anchor SET through_seq = 4, entry_hash = (SELECT prev_hash FROM audit.entries WHERE seq = 5)");
  VerifyReport report = VerifyNow();
  EXPECT_FALSE(report.ok);
  EXPECT_NE(report.problem.find("anchor moved"), std::string::npos) << report.problem;
}

INSTANTIATE_TEST_SUITE_P(Backends, AuditLogTest, ::testing::ValuesIn(storage::testing::AllBackends()),
                         [](const auto& param_info) { return storage::testing::BackendName(param_info.param); });

}  // namespace
}  // namespace passwerk::audit
