// The check spool: records survive a process that ended before importing
// them, each is imported exactly once, torn and damaged records are skipped,
// a segment held by a running process is left alone, and a failed append
// leaves nothing behind.
#include "checks/check_spool.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "storage/testing/backends.h"

namespace passwerk::checks {
namespace {

namespace fs = std::filesystem;

std::string Records(int first, int count) {
  std::string bytes;
  char record[kCheckRecordBytes];
  for (int i = first; i < first + count; ++i) {
    std::string pseudonym = "pseudonym" + std::to_string(i);
    EXPECT_TRUE(EncodeCheckRecord(1795000000 + i, 7, 9, i % 2 ? std::optional<int64_t>(3) : std::nullopt,
                                  i % 3 ? "valid" : "no_match", pseudonym, record));
    bytes.append(record, kCheckRecordBytes);
  }
  return bytes;
}

std::vector<fs::path> SegmentFiles(const fs::path& dir) {
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(dir)) files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  return files;
}

TEST(CheckRecordTest, EncodesAndDecodesAndRejectsDamage) {
  char record[kCheckRecordBytes];
  ASSERT_TRUE(EncodeCheckRecord(1795000123, 4, 5, 6, "expired", "0123456789abcdef0123456789abcdef", record));
  auto decoded = DecodeCheckRecord(record);
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(decoded->at, 1795000123);
  EXPECT_EQ(decoded->partner_id, 4);
  EXPECT_EQ(decoded->key_id, 5);
  EXPECT_EQ(decoded->scheme_id, std::optional<int64_t>(6));
  EXPECT_EQ(decoded->result, "expired");
  EXPECT_EQ(decoded->pseudonym, "0123456789abcdef0123456789abcdef");

  ASSERT_TRUE(EncodeCheckRecord(1, 2, 3, std::nullopt, "blocked", "p", record));
  EXPECT_EQ(DecodeCheckRecord(record)->scheme_id, std::nullopt);
  record[20] ^= 1;  // one flipped bit
  EXPECT_FALSE(DecodeCheckRecord(record).has_value());
  std::string zeros(kCheckRecordBytes, '\0');  // an unwritten block after a crash
  EXPECT_FALSE(DecodeCheckRecord(zeros.data()).has_value());

  EXPECT_FALSE(EncodeCheckRecord(1, 2, 3, std::nullopt, "maybe", "p", record)) << "unknown result";
  EXPECT_FALSE(EncodeCheckRecord(1, 2, 3, std::nullopt, "valid", std::string(kPseudonymBytes + 1, 'x'), record));
}

class CheckSpoolTest : public ::testing::TestWithParam<storage::testing::Backend> {
 protected:
  void SetUp() override {
    std::string reason;
    test_db_ = storage::testing::TestDatabase::Create(GetParam(), {storage::Segment::kChecks}, &reason);
    if (!test_db_) GTEST_SKIP() << reason;
    // A directory of its own under the system's temporary directory (mkdtemp fills in the six trailing letters).
    std::string pattern = (std::filesystem::temp_directory_path() / "passwerk-spool-").string() + std::string(6, 'X');
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override {
    if (!dir_.empty()) fs::remove_all(dir_);
  }

  // The imported records' pseudonyms, in import order.
  std::vector<std::string> ImportedPseudonyms() {
    std::vector<std::string> pseudonyms;
    EXPECT_TRUE(test_db_->db()
                    .Read([&](storage::Tx& tx) -> Status {
                      PW_ASSIGN_OR_RETURN(storage::Rows rows,
                                          tx.Query("SELECT card_pseudonym FROM checks.checks ORDER BY id"));
                      for (const auto& row : rows) pseudonyms.push_back(row.Text(0));
                      return Status::Ok();
                    })
                    .ok());
    return pseudonyms;
  }
  int64_t SpoolFileRows() {
    int64_t count = -1;
    EXPECT_TRUE(test_db_->db()
                    .Read([&](storage::Tx& tx) -> Status {
                      PW_ASSIGN_OR_RETURN(storage::Row row, tx.QueryOne("SELECT COUNT(*) FROM checks.spool_files"));
                      count = row.Int(0);
                      return Status::Ok();
                    })
                    .ok());
    return count;
  }
  static std::vector<std::string> Expected(int first, int count) {
    std::vector<std::string> pseudonyms;
    for (int i = first; i < first + count; ++i) pseudonyms.push_back("pseudonym" + std::to_string(i));
    return pseudonyms;
  }

  std::unique_ptr<storage::testing::TestDatabase> test_db_;
  std::string dir_;
};

TEST_P(CheckSpoolTest, RecordsLeftByAnEndedProcessAreImportedOnceByTheNext) {
  {
    auto spool = CheckSpool::Open(dir_, /*segment_bytes=*/4 * kCheckRecordBytes);
    ASSERT_TRUE(spool.ok()) << spool.status().ToString();
    for (int i = 0; i < 10; ++i) ASSERT_TRUE((*spool)->Append(Records(i, 1)).ok());
    EXPECT_EQ((*spool)->segment_count(), 3u) << "4 + 4 + 2 records";
    EXPECT_EQ((*spool)->backlog_bytes(), 10 * kCheckRecordBytes);
    // Imported partly (chunks of at most 3 records within a segment: 0-2,
    // 3, 4-6), then the process ends without importing the rest.
    SpoolImporter importer(test_db_->db(), **spool, /*chunk_records=*/3);
    ASSERT_TRUE(importer.Import(/*max_chunks=*/3).ok());
    EXPECT_EQ(ImportedPseudonyms(), Expected(0, 7));
    EXPECT_EQ(SegmentFiles(dir_).size(), 2u) << "the first segment is imported and deleted";
    (void)(*spool)->Close();  // what a crash leaves: the files, and their import offsets in the database
  }
  ASSERT_TRUE(test_db_->Reopen().ok());
  auto spool = CheckSpool::Open(dir_, 4 * kCheckRecordBytes);
  ASSERT_TRUE(spool.ok());
  EXPECT_EQ((*spool)->segment_count(), 2u) << "adopted";
  SpoolImporter importer(test_db_->db(), **spool, 3);
  ASSERT_TRUE(importer.Import().ok());
  EXPECT_EQ(ImportedPseudonyms(), Expected(0, 10)) << "each record exactly once";
  EXPECT_EQ((*spool)->backlog_bytes(), 0u);
  EXPECT_TRUE(SegmentFiles(dir_).empty()) << "adopted segments are deleted once imported";
  ASSERT_TRUE(importer.Forget((*spool)->Close()).ok());
  EXPECT_EQ(SpoolFileRows(), 0) << "no rows for deleted segments";
}

TEST_P(CheckSpoolTest, TornAndDamagedRecordsAreSkippedAndTheRestImported) {
  {
    auto spool = CheckSpool::Open(dir_);
    ASSERT_TRUE(spool.ok());
    ASSERT_TRUE((*spool)->Append(Records(0, 5)).ok());
    (void)(*spool)->Close();
  }
  std::vector<fs::path> files = SegmentFiles(dir_);
  ASSERT_EQ(files.size(), 1u);
  {
    // One record damaged on disk, and half a record torn off at the end.
    std::fstream file(files[0], std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(2 * kCheckRecordBytes + 50);
    file.put('#');
    file.seekp(0, std::ios::end);
    file.write(Records(5, 1).data(), kCheckRecordBytes / 2);
  }
  auto spool = CheckSpool::Open(dir_);
  ASSERT_TRUE(spool.ok());
  EXPECT_EQ((*spool)->backlog_bytes(), 5 * kCheckRecordBytes) << "the torn half record does not count";
  SpoolImporter importer(test_db_->db(), **spool);
  ASSERT_TRUE(importer.Import().ok());
  EXPECT_EQ(ImportedPseudonyms(), (std::vector<std::string>{"pseudonym0", "pseudonym1", "pseudonym3", "pseudonym4"}));
  EXPECT_TRUE(SegmentFiles(dir_).empty());
}

TEST_P(CheckSpoolTest, ASegmentHeldByARunningProcessIsNotAdopted) {
  auto running = CheckSpool::Open(dir_);
  ASSERT_TRUE(running.ok());
  ASSERT_TRUE((*running)->Append(Records(0, 3)).ok());
  auto starting = CheckSpool::Open(dir_);  // another process on the same data directory
  ASSERT_TRUE(starting.ok());
  EXPECT_EQ((*starting)->segment_count(), 0u);
  EXPECT_EQ((*starting)->backlog_bytes(), 0u);
  SpoolImporter other(test_db_->db(), **starting);
  ASSERT_TRUE(other.Import().ok());
  EXPECT_TRUE(ImportedPseudonyms().empty()) << "not its records to import";
  SpoolImporter own(test_db_->db(), **running);
  ASSERT_TRUE(own.Import().ok());
  EXPECT_EQ(ImportedPseudonyms(), Expected(0, 3));
  EXPECT_EQ(SegmentFiles(dir_).size(), 1u) << "still open for appending";
  ASSERT_TRUE(own.Forget((*running)->Close()).ok());
  EXPECT_TRUE(SegmentFiles(dir_).empty()) << "imported completely: deleted when closed";
  EXPECT_EQ(SpoolFileRows(), 0);
}

TEST_P(CheckSpoolTest, AFailedAppendLeavesNothingBehind) {
  auto spool = CheckSpool::Open(dir_);
  ASSERT_TRUE(spool.ok());
  ASSERT_TRUE((*spool)->Append(Records(0, 2)).ok());
  // The file may grow by one and a half records more: the write of three fails halfway.
  struct rlimit saved {};
  ASSERT_EQ(getrlimit(RLIMIT_FSIZE, &saved), 0);
  struct rlimit small = saved;
  small.rlim_cur = 3 * kCheckRecordBytes + kCheckRecordBytes / 2;
  auto* previous = signal(SIGXFSZ, SIG_IGN);
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &small), 0);
  Status failed = (*spool)->Append(Records(2, 3));
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &saved), 0);
  signal(SIGXFSZ, previous);
  EXPECT_FALSE(failed.ok());
  std::vector<fs::path> files = SegmentFiles(dir_);
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(fs::file_size(files[0]), 2 * kCheckRecordBytes) << "the partial write was cut off";
  ASSERT_TRUE((*spool)->Append(Records(5, 1)).ok()) << "appending goes on";
  SpoolImporter importer(test_db_->db(), **spool);
  ASSERT_TRUE(importer.Import().ok());
  EXPECT_EQ(ImportedPseudonyms(), (std::vector<std::string>{"pseudonym0", "pseudonym1", "pseudonym5"}));
}

TEST_P(CheckSpoolTest, APreparedSegmentTakesTheAppendsThatFollowAFullOne) {
  {
    auto spool = CheckSpool::Open(dir_, /*segment_bytes=*/2 * kCheckRecordBytes);
    ASSERT_TRUE(spool.ok());
    ASSERT_TRUE((*spool)->Append(Records(0, 2)).ok());
    ASSERT_TRUE((*spool)->Prepare().ok());
    ASSERT_TRUE((*spool)->Prepare().ok()) << "a second call keeps the prepared segment";
    EXPECT_EQ(SegmentFiles(dir_).size(), 2u) << "the open segment and the prepared one";
    EXPECT_EQ((*spool)->segment_count(), 1u) << "the prepared segment holds no records";
    ASSERT_TRUE((*spool)->Append(Records(2, 1)).ok());
    EXPECT_EQ(SegmentFiles(dir_).size(), 2u) << "the full segment was sealed and the prepared one opened";
    EXPECT_EQ((*spool)->segment_count(), 2u);
    ASSERT_TRUE((*spool)->Prepare().ok());
    EXPECT_EQ(SegmentFiles(dir_).size(), 3u);
    // The process ends with the records not imported and an empty prepared
    // segment: Close removes the empty one and keeps the others.
    (void)(*spool)->Close();
    EXPECT_EQ(SegmentFiles(dir_).size(), 2u);
  }
  {
    // A crash leaves the prepared segment too: the next start adopts it
    // empty and retires it with the others.
    auto spool = CheckSpool::Open(dir_, 2 * kCheckRecordBytes);
    ASSERT_TRUE(spool.ok());
    ASSERT_TRUE((*spool)->Prepare().ok());
    ASSERT_TRUE((*spool)->Append(Records(3, 1)).ok());
    ASSERT_TRUE((*spool)->Prepare().ok());
    ASSERT_EQ(SegmentFiles(dir_).size(), 4u);
    // The files as a crash leaves them (Close would remove the empty one).
    fs::path crashed = dir_ + "-crashed";
    fs::remove_all(crashed);
    fs::copy(dir_, crashed);
    (void)(*spool)->Close();
    fs::remove_all(dir_);
    fs::rename(crashed, dir_);
  }
  auto spool = CheckSpool::Open(dir_, 2 * kCheckRecordBytes);
  ASSERT_TRUE(spool.ok());
  EXPECT_EQ((*spool)->backlog_bytes(), 4 * kCheckRecordBytes);
  SpoolImporter importer(test_db_->db(), **spool);
  ASSERT_TRUE(importer.Import().ok());
  // Files adopted after a crash are imported in no particular order.
  std::vector<std::string> imported = ImportedPseudonyms();
  std::sort(imported.begin(), imported.end());
  EXPECT_EQ(imported, Expected(0, 4)) << "each record exactly once";
  EXPECT_TRUE(SegmentFiles(dir_).empty()) << "the empty segment is retired with the others";
  ASSERT_TRUE(importer.Forget((*spool)->Close()).ok());
  EXPECT_EQ(SpoolFileRows(), 0);
}

TEST_P(CheckSpoolTest, AnInMemorySpoolImportsToo) {
  auto spool = CheckSpool::Open("", /*segment_bytes=*/2 * kCheckRecordBytes);
  ASSERT_TRUE(spool.ok());
  for (int i = 0; i < 5; ++i) ASSERT_TRUE((*spool)->Append(Records(i, 1)).ok());
  SpoolImporter importer(test_db_->db(), **spool, 2);
  ASSERT_TRUE(importer.Import().ok());
  EXPECT_EQ(ImportedPseudonyms(), Expected(0, 5));
  EXPECT_EQ((*spool)->segment_count(), 1u) << "sealed segments are dropped once imported";
  ASSERT_TRUE(importer.Forget((*spool)->Close()).ok());
  EXPECT_EQ(SpoolFileRows(), 0);
}

INSTANTIATE_TEST_SUITE_P(Backends, CheckSpoolTest, ::testing::ValuesIn(storage::testing::AllBackends()),
                         [](const auto& param_info) { return storage::testing::BackendName(param_info.param); });

}  // namespace
}  // namespace passwerk::checks
