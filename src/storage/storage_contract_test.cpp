// The storage contract: the same cases against SQLite in memory, SQLite on
// disk reopened between steps, and a real PostgreSQL server.
#include <gtest/gtest.h>

#include <set>

#include <thread>

#include "storage/database.h"
#include "storage/migrations.h"
#include "storage/testing/backends.h"

namespace passwerk::storage {
namespace {

using testing::Backend;
using testing::TestDatabase;

class StorageContractTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    std::string reason;
    test_db_ = TestDatabase::Create(GetParam(), {Segment::kCore, Segment::kAudit}, &reason);
    if (!test_db_) GTEST_SKIP() << reason;
  }
  Database& db() { return test_db_->db(); }
  void Reopen() { ASSERT_TRUE(test_db_->Reopen().ok()); }

  int64_t CountMunicipalities() {
    int64_t count = -1;
    EXPECT_TRUE(db().Read([&](Tx& tx) -> Status {
                      PW_ASSIGN_OR_RETURN(Row row, tx.QueryOne("SELECT COUNT(*) FROM core.municipalities"));
                      count = row.Int(0);
                      return Status::Ok();
                    })
                    .ok());
    return count;
  }

  Status InsertMunicipality(const std::string& number) {
    return db().Write([&](Tx& tx) -> Status {
      auto r = tx.Exec("INSERT INTO core.municipalities (municipality_number, name, created_at) VALUES ($1, $2, $3)",
                       {number, std::string("Testhausen"), int64_t{1}});
      return r.ok() ? Status::Ok() : r.status();
    });
  }

  std::unique_ptr<TestDatabase> test_db_;
};

TEST_P(StorageContractTest, MigrationsAreAppliedOnceAndRecorded) {
  for (Segment segment : {Segment::kCore, Segment::kAudit}) {
    auto version = SchemaVersion(db(), segment);
    ASSERT_TRUE(version.ok()) << version.status().ToString();
    EXPECT_EQ(*version, MigrationsFor(segment).back().version);
  }
  Reopen();
  auto again = ApplyMigrations(db(), Segment::kCore);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, 0);
}

TEST_P(StorageContractTest, ValuesRoundTrip) {
  std::string all_bytes;
  for (int i = 0; i < 256; ++i) all_bytes.push_back(static_cast<char>(i));
  ASSERT_TRUE(db().Write([&](Tx& tx) -> Status {
                    auto r = tx.Exec("INSERT INTO core.users (username, display_name, role, password_hash, "
                                     "totp_secret_enc, created_at, municipality_id) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                                     {std::string("u1"), std::string("Jürgen Groß – ß"), std::string("clerk"),
                                      std::string("x"), Blob{all_bytes}, int64_t{9007199254740993},
                                      std::monostate{}});
                    return r.ok() ? Status::Ok() : r.status();
                  })
                  .ok());
  Reopen();
  ASSERT_TRUE(db().Read([&](Tx& tx) -> Status {
                    PW_ASSIGN_OR_RETURN(Row row, tx.QueryOne("SELECT display_name, totp_secret_enc, created_at, "
                                                             "municipality_id FROM core.users WHERE username = $1",
                                                             {std::string("u1")}));
                    EXPECT_EQ(row.Text(0), "Jürgen Groß – ß");
                    EXPECT_EQ(row.Text(1), all_bytes);
                    EXPECT_EQ(row.Int(2), 9007199254740993);
                    EXPECT_TRUE(row.IsNull(3));
                    return Status::Ok();
                  })
                  .ok());
}

TEST_P(StorageContractTest, FailedBodyRollsBackEverything) {
  Status status = db().Write([&](Tx& tx) -> Status {
    auto r = tx.Exec("INSERT INTO core.municipalities (municipality_number, name, created_at) VALUES ($1, $2, $3)",
                     {std::string("00000001"), std::string("A"), int64_t{1}});
    if (!r.ok()) return r.status();
    return FailedPrecondition("changed my mind");
  });
  EXPECT_EQ(status.code(), ErrorCode::kFailedPrecondition);
  Reopen();
  EXPECT_EQ(CountMunicipalities(), 0);
}

TEST_P(StorageContractTest, QueryInFindsEveryKeyAcrossChunks) {
  for (int i = 0; i < 250; ++i) ASSERT_TRUE(InsertMunicipality(std::to_string(10000000 + i)).ok());
  std::vector<Value> keys;
  for (int i = 0; i < 250; i += 3) keys.push_back(std::to_string(10000000 + i));  // 84 keys
  keys.push_back(std::string("99999999"));                                        // and one that is not there
  for (size_t chunk : {size_t{1}, size_t{10}, size_t{100}, size_t{1000}}) {
    std::set<std::string> found;
    int64_t calls = 0;
    ASSERT_TRUE(db().Read([&](Tx& tx) {
                      return QueryIn(tx, "SELECT municipality_number FROM core.municipalities WHERE municipality_number IN",
                                     keys, [&](const Row& r) {
                                       found.insert(r.Text(0));
                                       ++calls;
                                       return Status::Ok();
                                     },
                                     chunk);
                    })
                    .ok());
    EXPECT_EQ(found.size(), 84u) << chunk;
    EXPECT_FALSE(found.count("99999999"));
    EXPECT_GE(calls, 84) << chunk;  // padding may repeat rows; never drops one
  }
}

// A value left out is NULL, also when the same (cached) statement ran with one
// just before; values beyond the placeholders are ignored.
TEST_P(StorageContractTest, MissingParametersAreNullExtraOnesIgnored) {
  const char* sql = "SELECT CAST($1 AS TEXT), CAST($2 AS TEXT)";
  ASSERT_TRUE(db().Read([&](Tx& tx) -> Status {
                    PW_ASSIGN_OR_RETURN(Row both, tx.QueryOne(sql, {std::string("a"), std::string("b")}));
                    EXPECT_EQ(both.Text(0), "a");
                    EXPECT_EQ(both.Text(1), "b");
                    PW_ASSIGN_OR_RETURN(Row one, tx.QueryOne(sql, {std::string("c")}));
                    EXPECT_EQ(one.Text(0), "c");
                    EXPECT_TRUE(one.IsNull(1));
                    PW_ASSIGN_OR_RETURN(Row none, tx.QueryOne(sql));
                    EXPECT_TRUE(none.IsNull(0));
                    EXPECT_TRUE(none.IsNull(1));
                    PW_ASSIGN_OR_RETURN(Row extra, tx.QueryOne(sql, {std::string("d"), std::string("e"), int64_t{1}}));
                    EXPECT_EQ(extra.Text(0), "d");
                    EXPECT_EQ(extra.Text(1), "e");
                    return Status::Ok();
                  })
                  .ok());
}

TEST_P(StorageContractTest, UniqueViolationIsAlreadyExistsAndLeavesNothing) {
  ASSERT_TRUE(InsertMunicipality("00000001").ok());
  Status status = db().Write([&](Tx& tx) -> Status {
    auto first = tx.Exec("INSERT INTO core.municipalities (municipality_number, name, created_at) VALUES ($1, $2, $3)",
                         {std::string("00000002"), std::string("B"), int64_t{1}});
    if (!first.ok()) return first.status();
    auto dup = tx.Exec("INSERT INTO core.municipalities (municipality_number, name, created_at) VALUES ($1, $2, $3)",
                       {std::string("00000001"), std::string("C"), int64_t{1}});
    return dup.ok() ? Status::Ok() : dup.status();
  });
  EXPECT_EQ(status.code(), ErrorCode::kAlreadyExists);
  EXPECT_EQ(status.message().find("INSERT"), std::string::npos) << "SQL must not reach the message";
  Reopen();
  EXPECT_EQ(CountMunicipalities(), 1);
}

TEST_P(StorageContractTest, SyntaxErrorIsInternalWithoutSqlInMessage) {
  Status status = db().Read([&](Tx& tx) -> Status {
    auto r = tx.Query("SELEC nonsense FROM core.users");
    return r.ok() ? Status::Ok() : r.status();
  });
  EXPECT_EQ(status.code(), ErrorCode::kInternal);
  EXPECT_EQ(status.message(), "internal error");
  EXPECT_NE(status.detail().find("SELEC"), std::string::npos) << "the detail keeps the SQL for the log";
}

TEST_P(StorageContractTest, DataSurvivesReopen) {
  ASSERT_TRUE(InsertMunicipality("00000007").ok());
  Reopen();
  EXPECT_EQ(CountMunicipalities(), 1);
}

TEST_P(StorageContractTest, ConcurrentWritersAllCommit) {
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10; ++i) {
        char number[9];
        std::snprintf(number, sizeof number, "%02d%06d", t, i);
        if (!InsertMunicipality(number).ok()) ++failures;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(CountMunicipalities(), 40);
}

TEST_P(StorageContractTest, ReturningGivesGeneratedIds) {
  int64_t first = 0, second = 0;
  ASSERT_TRUE(db().Write([&](Tx& tx) -> Status {
                    PW_ASSIGN_OR_RETURN(Row a, tx.QueryOne("INSERT INTO core.municipalities (municipality_number, "
                                                           "name, created_at) VALUES ('10000000', 'A', 1) RETURNING id"));
                    PW_ASSIGN_OR_RETURN(Row b, tx.QueryOne("INSERT INTO core.municipalities (municipality_number, "
                                                           "name, created_at) VALUES ('20000000', 'B', 1) RETURNING id"));
                    first = a.Int(0);
                    second = b.Int(0);
                    return Status::Ok();
                  })
                  .ok());
  EXPECT_GT(first, 0);
  EXPECT_GT(second, first);
}

INSTANTIATE_TEST_SUITE_P(Backends, StorageContractTest, ::testing::ValuesIn(testing::AllBackends()),
                         [](const auto& param_info) { return testing::BackendName(param_info.param); });

}  // namespace
}  // namespace passwerk::storage
