// Test support: the storage backends every contract test runs against —
// SQLite in memory, SQLite on disk reopened between steps, and a real
// PostgreSQL server (PASSWERK_TEST_PG_ADMIN_URL, started by scripts/with-postgres).
#pragma once

#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "storage/database.h"

namespace passwerk::storage::testing {

enum class Backend { kSqliteMemory, kSqliteDiskReopen, kPostgres };

std::string BackendName(Backend backend);
// Readable test names in gtest and ctest output.
inline void PrintTo(Backend backend, std::ostream* os) { *os << BackendName(backend); }
std::vector<Backend> AllBackends();

// One isolated database for one test; Reopen() closes and opens it again
// (a no-op for in-memory SQLite, whose data would vanish).
class TestDatabase {
 public:
  // Returns nullptr and sets `skip_reason` when the backend is unavailable.
  static std::unique_ptr<TestDatabase> Create(Backend backend, std::vector<Segment> segments,
                                              std::string* skip_reason);
  ~TestDatabase();

  Database& db() { return *db_; }
  Status Reopen();
  Backend backend() const { return backend_; }
  const DatabaseOptions& options() const { return options_; }

 private:
  Backend backend_ = Backend::kSqliteMemory;
  DatabaseOptions options_;
  std::unique_ptr<Database> db_;
  std::string temp_dir_;
  std::string pg_database_;  // dropped at the end
};

}  // namespace passwerk::storage::testing
