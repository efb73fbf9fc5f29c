// The engine switch: SQLite without a PostgreSQL URL (files under data_dir, or
// memory), PostgreSQL with one, and the segments' migrations applied either way.
#include "storage/engines/engines.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "core/crypto.h"
#include "storage/migrations.h"
#include "storage/testing/backends.h"

namespace passwerk::storage {
namespace {

namespace fs = std::filesystem;

class OpenDatabaseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("passwerk-engines-" + crypto::RandomToken(8));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(OpenDatabaseTest, WithoutAUrlSqliteFilesPerSegmentMigrated) {
  DatabaseOptions options;
  options.data_dir = dir_.string();
  options.segments = {Segment::kCore, Segment::kAudit, Segment::kChecks};
  auto db = OpenDatabase(options);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  EXPECT_EQ((*db)->engine(), Engine::kSqlite);
  EXPECT_TRUE((*db)->Ping().ok());
  for (Segment segment : options.segments) {
    EXPECT_TRUE(fs::exists(dir_ / (std::string(SegmentName(segment)) + ".db"))) << SegmentName(segment);
    auto version = SchemaVersion(**db, segment);
    ASSERT_TRUE(version.ok()) << version.status().ToString();
    EXPECT_EQ(*version, MigrationsFor(segment).back().version) << SegmentName(segment);
  }
  EXPECT_FALSE(fs::exists(dir_ / "cards.db")) << "only the segments asked for";
  EXPECT_FALSE(SchemaVersion(**db, Segment::kCards).ok());
  // The tables are there and work.
  ASSERT_TRUE((*db)
                  ->Write([](Tx& tx) -> Status {
                    auto inserted = tx.Exec(
                        "INSERT INTO checks.card_locks (card_pseudonym, locked_until, created_at) VALUES ($1, $2, $3)",
                        {std::string("p"), int64_t{2}, int64_t{1}});
                    return inserted.ok() ? Status::Ok() : inserted.status();
                  })
                  .ok());
  db->reset();
  auto reopened = OpenDatabase(options);
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  ASSERT_TRUE((*reopened)
                  ->Read([](Tx& tx) -> Status {
                    PW_ASSIGN_OR_RETURN(Row row, tx.QueryOne("SELECT COUNT(*) FROM checks.card_locks"));
                    EXPECT_EQ(row.Int(0), 1) << "reopened, not recreated";
                    return Status::Ok();
                  })
                  .ok());
}

TEST_F(OpenDatabaseTest, InMemoryWritesNoFiles) {
  DatabaseOptions options;
  options.data_dir = dir_.string();
  options.in_memory = true;
  options.segments = {Segment::kCore};
  auto db = OpenDatabase(options);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  EXPECT_EQ((*db)->engine(), Engine::kSqlite);
  EXPECT_EQ(SchemaVersion(**db, Segment::kCore).value(), MigrationsFor(Segment::kCore).back().version);
  EXPECT_TRUE(fs::is_empty(dir_));
}

TEST_F(OpenDatabaseTest, AUrlSelectsPostgresAndNeverFallsBackToSqlite) {
  DatabaseOptions options;
  options.data_dir = dir_.string();
  options.postgres_url = "postgresql://passwerk@127.0.0.1:1/passwerk?connect_timeout=1";
  options.segments = {Segment::kCore};
  auto db = OpenDatabase(options);
  ASSERT_FALSE(db.ok()) << "nothing listens on port 1";
  EXPECT_EQ(db.status().code(), ErrorCode::kUnavailable) << db.status().ToString();
  EXPECT_TRUE(fs::is_empty(dir_)) << "no SQLite files instead";
}

TEST(OpenDatabaseEngineTest, EachBackendIsTheEngineItNames) {
  for (testing::Backend backend : testing::AllBackends()) {
    std::string reason;
    auto test_db = testing::TestDatabase::Create(backend, {Segment::kCore}, &reason);
    if (!test_db) {
      EXPECT_EQ(backend, testing::Backend::kPostgres) << reason;
      continue;
    }
    EXPECT_EQ(test_db->db().engine(), backend == testing::Backend::kPostgres ? Engine::kPostgres : Engine::kSqlite);
    EXPECT_EQ(SchemaVersion(test_db->db(), Segment::kCore).value(), MigrationsFor(Segment::kCore).back().version);
  }
}

}  // namespace
}  // namespace passwerk::storage
