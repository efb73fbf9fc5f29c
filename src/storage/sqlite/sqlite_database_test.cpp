// SQLite engine specifics the storage contract does not cover: a transaction
// over several segment files is whole or absent when the process is killed at
// any point of its commit, and concurrent writes committed together stay
// separate where they fail.
#include "storage/sqlite/sqlite_database.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>

#include "core/crypto.h"
#include "storage/engines/engines.h"

namespace passwerk::storage {
namespace {

namespace fs = std::filesystem;

// A VFS in front of the default one that kills the process at its Nth
// write-side call (a write, truncation, sync or deletion of any file): the
// state a `kill -9` leaves at that point of a commit.
class KillingVfs {
 public:
  // Registers it as the default VFS of this process with the countdown.
  static void Install(int calls_before_kill) {
    countdown_ = calls_before_kill;
    real_ = sqlite3_vfs_find(nullptr);
    vfs_ = *real_;
    vfs_.zName = "passwerk-killing";
    vfs_.szOsFile = static_cast<int>(sizeof(File)) + real_->szOsFile;
    vfs_.xOpen = &Open;
    vfs_.xDelete = &Delete;
    sqlite3_vfs_register(&vfs_, 1);
  }

 private:
  struct File {
    sqlite3_file base;
    sqlite3_file* real;
  };

  static void Tick() {
    if (--countdown_ == 0) raise(SIGKILL);
  }
  static sqlite3_file* Real(sqlite3_file* f) { return reinterpret_cast<File*>(f)->real; }

  static int Open(sqlite3_vfs*, const char* name, sqlite3_file* f, int flags, int* out_flags) {
    auto* file = reinterpret_cast<File*>(f);
    file->real = reinterpret_cast<sqlite3_file*>(file + 1);
    int rc = real_->xOpen(real_, name, file->real, flags, out_flags);
    file->base.pMethods = rc == SQLITE_OK ? Methods(file->real->pMethods) : nullptr;
    return rc;
  }
  static int Delete(sqlite3_vfs*, const char* name, int sync_dir) {
    Tick();
    return real_->xDelete(real_, name, sync_dir);
  }

  // The real file's methods, with the write side counted. SQLite's unix
  // files share one method table per kind, so one copy each suffices.
  static const sqlite3_io_methods* Methods(const sqlite3_io_methods* real) {
    static std::mutex mutex;
    static std::vector<std::pair<const sqlite3_io_methods*, std::unique_ptr<sqlite3_io_methods>>> tables;
    std::lock_guard lock(mutex);
    for (auto& [from, table] : tables) {
      if (from == real) return table.get();
    }
    auto table = std::make_unique<sqlite3_io_methods>(*real);
    table->xClose = [](sqlite3_file* f) { return Real(f)->pMethods->xClose(Real(f)); };
    table->xRead = [](sqlite3_file* f, void* buf, int n, sqlite3_int64 off) {
      return Real(f)->pMethods->xRead(Real(f), buf, n, off);
    };
    table->xWrite = [](sqlite3_file* f, const void* buf, int n, sqlite3_int64 off) {
      Tick();
      return Real(f)->pMethods->xWrite(Real(f), buf, n, off);
    };
    table->xTruncate = [](sqlite3_file* f, sqlite3_int64 size) {
      Tick();
      return Real(f)->pMethods->xTruncate(Real(f), size);
    };
    table->xSync = [](sqlite3_file* f, int flags) {
      Tick();
      return Real(f)->pMethods->xSync(Real(f), flags);
    };
    table->xFileSize = [](sqlite3_file* f, sqlite3_int64* size) { return Real(f)->pMethods->xFileSize(Real(f), size); };
    table->xLock = [](sqlite3_file* f, int level) { return Real(f)->pMethods->xLock(Real(f), level); };
    table->xUnlock = [](sqlite3_file* f, int level) { return Real(f)->pMethods->xUnlock(Real(f), level); };
    table->xCheckReservedLock = [](sqlite3_file* f, int* out) {
      return Real(f)->pMethods->xCheckReservedLock(Real(f), out);
    };
    table->xFileControl = [](sqlite3_file* f, int op, void* arg) {
      return Real(f)->pMethods->xFileControl(Real(f), op, arg);
    };
    table->xSectorSize = [](sqlite3_file* f) { return Real(f)->pMethods->xSectorSize(Real(f)); };
    table->xDeviceCharacteristics = [](sqlite3_file* f) { return Real(f)->pMethods->xDeviceCharacteristics(Real(f)); };
    // Shared memory for WAL mode (which the test shows to be unsafe), no
    // memory-mapped reads through the shim.
    table->iVersion = 2;
    table->xShmMap = [](sqlite3_file* f, int page, int size, int extend, void volatile** out) {
      return Real(f)->pMethods->xShmMap(Real(f), page, size, extend, out);
    };
    table->xShmLock = [](sqlite3_file* f, int offset, int n, int flags) {
      return Real(f)->pMethods->xShmLock(Real(f), offset, n, flags);
    };
    table->xShmBarrier = [](sqlite3_file* f) { Real(f)->pMethods->xShmBarrier(Real(f)); };
    table->xShmUnmap = [](sqlite3_file* f, int remove) { return Real(f)->pMethods->xShmUnmap(Real(f), remove); };
    table->xFetch = nullptr;
    table->xUnfetch = nullptr;
    tables.emplace_back(real, std::move(table));
    return tables.back().second.get();
  }

  static inline sqlite3_vfs* real_ = nullptr;
  static inline sqlite3_vfs vfs_{};
  static inline int countdown_ = 0;
};

class SqliteEngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // In memory where the system offers it: a killed process leaves the
    // same files, without the wait for syncs a power loss would need.
    fs::path base = fs::is_directory("/dev/shm") ? fs::path("/dev/shm") : fs::temp_directory_path();
    dir_ = base / ("passwerk-sqlite-" + crypto::RandomToken(8));
    options_.data_dir = dir_.string();
    options_.segments = {Segment::kCore, Segment::kAudit, Segment::kSpaTax, Segment::kCardLink};
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  std::unique_ptr<Database> Open() {
    auto db = OpenDatabase(options_);
    if (!db.ok()) throw std::runtime_error(db.status().ToString());
    return std::move(db).value();
  }

  // The number of rows of table t in each segment, in the order of segments_.
  std::vector<int64_t> Counts(Database& db) {
    std::vector<int64_t> counts;
    Status status = db.Read([&](Tx& tx) -> Status {
      for (const char* segment : kSegments) {
        PW_ASSIGN_OR_RETURN(Row row, tx.QueryOne(std::string("SELECT COUNT(*) FROM ") + segment + ".t"));
        counts.push_back(row.Int(0));
      }
      return Status::Ok();
    });
    EXPECT_TRUE(status.ok()) << status.ToString();
    return counts;
  }

  // A SELECT of n rows of 500 characters each.
  static std::string Numbers(int n) {
    return "WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < " + std::to_string(n) +
           ") SELECT printf('%0500d', n) FROM s";
  }

  static constexpr const char* kSegments[] = {"core", "audit", "spa_tax", "card_link"};
  fs::path dir_;
  DatabaseOptions options_;
};

// One transaction changes 5 rows and adds 30 (about 4 pages) in each of four segment files. Killed at
// its 1st, 2nd, … write-side file operation, until one run gets through:
// after every kill, every file has all of the transaction's rows or none.
// (With the segments in WAL mode this fails: each file commits on its own.)
TEST_F(SqliteEngineTest, AKillAtAnyPointOfACommitLeavesEverySegmentWholeOrAbsent) {
  {
    auto db = Open();
    ASSERT_TRUE(
        db->Write([&](Tx& tx) -> Status {
            for (const char* segment : kSegments) {
              PW_RETURN_IF_ERROR(
                  tx.Exec(std::string("CREATE TABLE ") + segment + ".t (id INTEGER PRIMARY KEY, v TEXT)").status());
              // Earlier committed rows, so that pages are changed, not only added.
              PW_RETURN_IF_ERROR(tx.Exec(std::string("INSERT INTO ") + segment + ".t (v) " + Numbers(10)).status());
            }
            return Status::Ok();
          }).ok());
  }
  int kills = 0;
  int kill_at = 1;
  for (;; ++kill_at) {
    ASSERT_LT(kill_at, 10000) << "the transaction never completed";
    pid_t child = fork();
    ASSERT_NE(child, -1);
    if (child == 0) {
      KillingVfs::Install(kill_at);
      auto db = OpenDatabase(options_);
      if (!db.ok()) _exit(2);
      Status status = (*db)->Write([&](Tx& tx) -> Status {
        for (const char* segment : kSegments) {
          PW_RETURN_IF_ERROR(
              tx.Exec(std::string("UPDATE ") + segment + ".t SET v = 'changed' WHERE id <= 5").status());
          PW_RETURN_IF_ERROR(tx.Exec(std::string("INSERT INTO ") + segment + ".t (v) " + Numbers(30)).status());
        }
        return Status::Ok();
      });
      _exit(status.ok() ? 0 : 3);
    }
    int wstatus = 0;
    ASSERT_EQ(waitpid(child, &wstatus, 0), child);
    bool killed = WIFSIGNALED(wstatus) && WTERMSIG(wstatus) == SIGKILL;
    ASSERT_TRUE(killed || (WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0))
        << "kill point " << kill_at << ": the child failed, wait status " << wstatus;
    // Reopening rolls back what a hot journal says was not committed.
    auto db = Open();
    std::vector<int64_t> counts = Counts(*db);
    if (!killed) {
      EXPECT_EQ(counts, (std::vector<int64_t>{40, 40, 40, 40}));
      break;
    }
    ++kills;
    ASSERT_TRUE(counts == (std::vector<int64_t>{10, 10, 10, 10}) ||
                counts == (std::vector<int64_t>{40, 40, 40, 40}))
        << "killed at file operation " << kill_at << ", rows per segment: " << counts[0] << " " << counts[1] << " "
        << counts[2] << " " << counts[3];
    if (counts[0] == 40) {
      // Committed before the kill (the journals' cleanup was cut short):
      // whatever follows must find the same.
      break;
    }
  }
  // Each of the four journals, the super-journal and the four files: dozens
  // of points at which a kill was tried.
  EXPECT_GT(kills, 20);
}

TEST_F(SqliteEngineTest, SegmentsUseARollbackJournalNotWal) {
  auto db = Open();
  ASSERT_TRUE(db->Write([](Tx& tx) { return tx.Exec("CREATE TABLE core.t (id INTEGER PRIMARY KEY)").status(); }).ok());
  std::string mode;
  ASSERT_TRUE(db->Read([&](Tx& tx) -> Status {
                  PW_ASSIGN_OR_RETURN(Row row, tx.QueryOne("PRAGMA core.journal_mode"));
                  mode = row.Text(0);
                  return Status::Ok();
                }).ok());
  EXPECT_EQ(mode, "truncate");
  EXPECT_FALSE(fs::exists(dir_ / "core.db-wal"));
}

TEST_F(SqliteEngineTest, ASegmentLeftInWalModeByAnOlderVersionIsSwitchedWithItsRows) {
  fs::create_directories(dir_);
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open((dir_ / "core.db").string().c_str(), &raw), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(raw,
                         "PRAGMA journal_mode=WAL; CREATE TABLE t (id INTEGER PRIMARY KEY); "
                         "INSERT INTO t VALUES (1), (2), (3);",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  ASSERT_EQ(sqlite3_close(raw), SQLITE_OK);
  auto db = Open();
  int64_t rows = 0;
  ASSERT_TRUE(db->Read([&](Tx& tx) -> Status {
                  PW_ASSIGN_OR_RETURN(Row row, tx.QueryOne("SELECT COUNT(*) FROM core.t"));
                  rows = row.Int(0);
                  return Status::Ok();
                }).ok());
  EXPECT_EQ(rows, 3);
  EXPECT_FALSE(fs::exists(dir_ / "core.db-wal"));
}

// Writes that arrive while one commits are committed together; each body
// still succeeds or fails on its own.
TEST_F(SqliteEngineTest, ConcurrentWritesFailAloneWhenCommittedTogether) {
  auto db = Open();
  ASSERT_TRUE(db->Write([](Tx& tx) -> Status {
                  PW_RETURN_IF_ERROR(tx.Exec("CREATE TABLE core.t (id INTEGER PRIMARY KEY, v TEXT)").status());
                  PW_RETURN_IF_ERROR(tx.Exec("INSERT INTO core.t (id, v) VALUES (1000, 'before')").status());
                  return tx.Exec("CREATE TABLE audit.t (id INTEGER PRIMARY KEY, v TEXT)").status();
                }).ok());
  constexpr int kWriters = 24;
  std::mutex mutex;
  std::condition_variable cv;
  int started = 0;
  std::vector<Status> results(kWriters, Status::Ok());
  std::vector<std::thread> threads;
  for (int i = 0; i < kWriters; ++i) {
    threads.emplace_back([&, i] {
      {
        std::lock_guard lock(mutex);
        ++started;
      }
      cv.notify_all();
      results[static_cast<size_t>(i)] = db->Write([&, i](Tx& tx) -> Status {
        if (i == 0) {
          // The first writer holds the commit open until every other one is
          // on its way, so that they queue behind it.
          std::unique_lock lock(mutex);
          cv.wait(lock, [&] { return started == kWriters; });
        }
        PW_RETURN_IF_ERROR(tx.Exec("INSERT INTO core.t (id, v) VALUES ($1, 'w')", {int64_t{i}}).status());
        PW_RETURN_IF_ERROR(tx.Exec("INSERT INTO audit.t (id, v) VALUES ($1, 'w')", {int64_t{i}}).status());
        if (i % 3 == 1) return InvalidArgument("refused after writing");
        if (i % 3 == 2 && i % 2 == 0) throw std::runtime_error("thrown after writing");
        // A storage error (a unique violation) after the body's own rows.
        if (i % 7 == 5) return tx.Exec("INSERT INTO core.t (id, v) VALUES (1000, 'again')").status();
        return Status::Ok();
      });
    });
  }
  for (auto& t : threads) t.join();
  std::set<int64_t> expected;
  for (int i = 0; i < kWriters; ++i) {
    bool should_succeed = i % 3 == 0 || (i % 3 == 2 && i % 2 == 1);
    if (i % 7 == 5) should_succeed = false;
    EXPECT_EQ(results[static_cast<size_t>(i)].ok(), should_succeed)
        << "writer " << i << ": " << results[static_cast<size_t>(i)].ToString();
    if (should_succeed) expected.insert(i);
  }
  for (const char* table : {"core.t", "audit.t"}) {
    std::set<int64_t> ids;
    std::set<int64_t> want = expected;
    if (std::string_view(table) == "core.t") want.insert(1000);  // the row from before
    ASSERT_TRUE(db->Read([&](Tx& tx) -> Status {
                    PW_ASSIGN_OR_RETURN(Rows rows, tx.Query(std::string("SELECT id FROM ") + table));
                    for (const Row& row : rows) ids.insert(row.Int(0));
                    return Status::Ok();
                  }).ok());
    EXPECT_EQ(ids, want) << table;
  }
}

}  // namespace
}  // namespace passwerk::storage
