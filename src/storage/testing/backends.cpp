// Creation and cleanup of per-test databases for each backend.
#include "storage/testing/backends.h"

#include <libpq-fe.h>

#include <cstdlib>
#include <filesystem>

#include "core/crypto.h"
#include "storage/engines/engines.h"

namespace passwerk::storage::testing {
namespace {

// Runs one statement outside a transaction on the admin connection.
bool AdminExec(const std::string& admin_url, const std::string& sql) {
  PGconn* conn = PQconnectdb(admin_url.c_str());
  bool ok = PQstatus(conn) == CONNECTION_OK;
  if (ok) {
    PGresult* result = PQexec(conn, sql.c_str());
    ok = PQresultStatus(result) == PGRES_COMMAND_OK;
    PQclear(result);
  }
  PQfinish(conn);
  return ok;
}

// Replaces the database name (the path) of a postgresql:// URL.
std::string WithDatabase(const std::string& url, const std::string& database) {
  size_t scheme = url.find("://");
  size_t slash = url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  size_t query = url.find('?');
  std::string base = slash == std::string::npos ? url.substr(0, query) : url.substr(0, slash);
  std::string rest = query == std::string::npos ? "" : url.substr(query);
  return base + "/" + database + rest;
}

}  // namespace

std::string BackendName(Backend backend) {
  switch (backend) {
    case Backend::kSqliteMemory:
      return "SqliteMemory";
    case Backend::kSqliteDiskReopen:
      return "SqliteDiskReopen";
    case Backend::kPostgres:
      return "Postgres";
  }
  return "?";
}

std::vector<Backend> AllBackends() { return {Backend::kSqliteMemory, Backend::kSqliteDiskReopen, Backend::kPostgres}; }

std::unique_ptr<TestDatabase> TestDatabase::Create(Backend backend, std::vector<Segment> segments,
                                                   std::string* skip_reason) {
  auto test_db = std::unique_ptr<TestDatabase>(new TestDatabase());
  test_db->backend_ = backend;
  test_db->options_.segments = std::move(segments);
  switch (backend) {
    case Backend::kSqliteMemory:
      test_db->options_.in_memory = true;
      break;
    case Backend::kSqliteDiskReopen: {
      auto dir = std::filesystem::temp_directory_path() / ("passwerk-test-" + crypto::RandomToken(8));
      std::filesystem::create_directories(dir);
      test_db->temp_dir_ = dir.string();
      test_db->options_.data_dir = dir.string();
      break;
    }
    case Backend::kPostgres: {
      const char* admin = std::getenv("PASSWERK_TEST_PG_ADMIN_URL");
      const char* app = std::getenv("PASSWERK_TEST_PG_URL");
      if (admin == nullptr || app == nullptr) {
        *skip_reason =
            "PostgreSQL not available: PASSWERK_TEST_PG_URL/PASSWERK_TEST_PG_ADMIN_URL unset (run the "
            "tests through scripts/with-postgres, as `make test` does)";
        return nullptr;
      }
      std::string name = "t_" + crypto::RandomToken(8);
      std::string owner =
          std::getenv("PASSWERK_TEST_PG_APP_ROLE") ? std::getenv("PASSWERK_TEST_PG_APP_ROLE") : "passwerk_app";
      if (!AdminExec(admin, "CREATE DATABASE " + name + " OWNER " + owner)) {
        *skip_reason = "cannot create a test database on the PostgreSQL server";
        return nullptr;
      }
      test_db->pg_database_ = name;
      test_db->options_.postgres_url = WithDatabase(app, name);
      break;
    }
  }
  auto opened = OpenDatabase(test_db->options_);
  if (!opened.ok()) {
    *skip_reason = "cannot open " + BackendName(backend) + ": " + opened.status().ToString();
    return nullptr;
  }
  test_db->db_ = std::move(opened).value();
  return test_db;
}

Status TestDatabase::Reopen() {
  if (backend_ == Backend::kSqliteMemory) return Status::Ok();
  db_.reset();
  PW_ASSIGN_OR_RETURN(db_, OpenDatabase(options_));
  return Status::Ok();
}

TestDatabase::~TestDatabase() {
  db_.reset();
  if (!temp_dir_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(temp_dir_, ec);
  }
  if (!pg_database_.empty()) {
    const char* admin = std::getenv("PASSWERK_TEST_PG_ADMIN_URL");
    if (admin != nullptr) AdminExec(admin, "DROP DATABASE IF EXISTS " + pg_database_ + " WITH (FORCE)");
  }
}

}  // namespace passwerk::storage::testing
