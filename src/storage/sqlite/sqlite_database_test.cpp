// SQLite engine specifics the storage contract does not cover: where and when
// a segment's WAL is copied back into its file.
#include "storage/sqlite/sqlite_database.h"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "core/crypto.h"
#include "storage/engines/engines.h"
#include "storage/migrations.h"

namespace passwerk::storage {
namespace {

namespace fs = std::filesystem;

class SqliteCheckpointTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("passwerk-wal-" + crypto::RandomToken(8));
    options_.data_dir = dir_.string();
    options_.segments = {Segment::kCore, Segment::kAudit};
  }
  void TearDown() override {
    db_.reset();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  void Open() {
    auto db = OpenDatabase(options_);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_ = std::move(db).value();
  }

  // Writes about `kib` KiB of new rows to core.db in transactions of 64 KiB.
  void WriteRows(int kib) {
    std::string payload(1024, 'x');
    for (int start = 0; start < kib; start += 64) {
      ASSERT_TRUE(db_->Write([&](Tx& tx) -> Status {
                       for (int i = start; i < start + 64; ++i) {
                         char number[9];
                         std::snprintf(number, sizeof number, "%08d", i);
                         auto r = tx.Exec(
                             "INSERT INTO core.municipalities (municipality_number, name, created_at) "
                             "VALUES ($1, $2, 1)",
                             {std::string(number), payload});
                         if (!r.ok()) return r.status();
                       }
                       return Status::Ok();
                     })
                      .ok());
    }
  }

  uintmax_t CoreFileSize() const { return fs::file_size(dir_ / "core.db"); }

  fs::path dir_;
  DatabaseOptions options_;
  std::unique_ptr<Database> db_;
};

TEST_F(SqliteCheckpointTest, BackgroundThreadCopiesTheWalIntoTheSegmentFile) {
  options_.wal_checkpoint_pages = 100;             // 400 KiB
  options_.wal_inline_checkpoint_pages = 1 << 30;  // never by the writer
  Open();
  uintmax_t before = CoreFileSize();
  WriteRows(2048);
  // No commit checkpoints: the rows reach core.db only through the thread.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (CoreFileSize() < before + 1024 * 1024 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_GE(CoreFileSize(), before + 1024 * 1024) << "the background checkpoint did not run";
}

TEST_F(SqliteCheckpointTest, WriterCheckpointsItselfPastTheBackstop) {
  options_.wal_checkpoint_pages = 1 << 30;  // the thread is never asked
  options_.wal_inline_checkpoint_pages = 100;
  Open();
  uintmax_t before = CoreFileSize();
  WriteRows(2048);
  // Synchronous: the commit that crossed the backstop copied the WAL.
  EXPECT_GE(CoreFileSize(), before + 1024 * 1024);
}

TEST_F(SqliteCheckpointTest, NeitherThresholdReachedLeavesRowsInTheWalAndReadable) {
  options_.wal_checkpoint_pages = 1 << 30;
  options_.wal_inline_checkpoint_pages = 1 << 30;
  Open();
  uintmax_t before = CoreFileSize();
  WriteRows(512);
  EXPECT_LT(CoreFileSize(), before + 256 * 1024) << "no checkpoint was due, yet the file grew";
  int64_t count = 0;
  ASSERT_TRUE(db_->Read([&](Tx& tx) -> Status {
                   PW_ASSIGN_OR_RETURN(Row row, tx.QueryOne("SELECT COUNT(*) FROM core.municipalities"));
                   count = row.Int(0);
                   return Status::Ok();
                 })
                  .ok());
  EXPECT_EQ(count, 512);
  // Closing checkpoints what is left; reopening finds every row.
  db_.reset();
  EXPECT_GE(CoreFileSize(), before + 256 * 1024);
  Open();
  ASSERT_TRUE(db_->Read([&](Tx& tx) -> Status {
                   PW_ASSIGN_OR_RETURN(Row row, tx.QueryOne("SELECT COUNT(*) FROM core.municipalities"));
                   count = row.Int(0);
                   return Status::Ok();
                 })
                  .ok());
  EXPECT_EQ(count, 512);
}

}  // namespace
}  // namespace passwerk::storage
