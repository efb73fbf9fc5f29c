// PostgreSQL-specific behaviour of the storage backend, against a real server:
// run under scripts/with-postgres, which exports PASSWERK_TEST_PG_URL (and
// PASSWERK_TEST_PG_ADMIN_URL, used to give every test a fresh database).
#include "storage/postgres/postgres_database.h"

#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <random>
#include <thread>

#include "storage/engines/engines.h"
#include "storage/migrations.h"

namespace passwerk::storage {
namespace {

std::string Env(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr ? value : "";
}

std::string RandomSuffix() {
  std::random_device device;
  char buffer[16];
  std::snprintf(buffer, sizeof(buffer), "%08x", static_cast<unsigned>(device()));
  return buffer;
}

// Replaces the database name (the path) of a postgresql:// URL.
std::string WithDatabase(const std::string& url, const std::string& database) {
  size_t authority = url.find("://") + 3;
  size_t query = url.find('?', authority);
  size_t slash = url.find('/', authority);
  size_t end_of_host = std::min(slash, query == std::string::npos ? url.size() : query);
  return url.substr(0, end_of_host) + "/" + database + (query == std::string::npos ? "" : url.substr(query));
}

// Replaces user and password of a postgresql:// URL that has both.
std::string WithLogin(const std::string& url, const std::string& user, const std::string& password) {
  size_t start = url.find("://") + 3;
  return url.substr(0, start) + user + ":" + password + url.substr(url.find('@', start));
}

std::string UserOf(const std::string& url) {
  std::string user;
  PQconninfoOption* options = PQconninfoParse(url.c_str(), nullptr);
  for (PQconninfoOption* option = options; option != nullptr && option->keyword != nullptr; ++option) {
    if (std::string(option->keyword) == "user" && option->val != nullptr) user = option->val;
  }
  PQconninfoFree(options);
  return user;
}

// Runs one statement on its own libpq connection (set-up steps and actions the
// backend under test must not take itself). Returns the first value, or an error.
Result<std::string> Direct(const std::string& url, const std::string& sql) {
  PGconn* conn = PQconnectdb(url.c_str());
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string error = PQerrorMessage(conn);
    PQfinish(conn);
    return Internal(error);
  }
  PGresult* result = PQexec(conn, sql.c_str());
  ExecStatusType status = PQresultStatus(result);
  Result<std::string> out = std::string();
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    out = Internal(PQresultErrorMessage(result));
  } else if (PQntuples(result) > 0 && PQnfields(result) > 0) {
    out = std::string(PQgetvalue(result, 0, 0));
  }
  PQclear(result);
  PQfinish(conn);
  return out;
}

Status Ok(const Result<int64_t>& result) { return result.ok() ? Status::Ok() : result.status(); }

constexpr const char* kInsertUser =
    "INSERT INTO core.users (username, display_name, role, password_hash, totp_secret_enc, created_at) "
    "VALUES ($1, $2, 'staff', 'hash', $3, 0)";

class PostgresDatabaseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    app_url_ = Env("PASSWERK_TEST_PG_URL");
    if (app_url_.empty()) GTEST_SKIP() << "PASSWERK_TEST_PG_URL not set: run under scripts/with-postgres";
    admin_url_ = Env("PASSWERK_TEST_PG_ADMIN_URL");
    url_ = app_url_;
    if (!admin_url_.empty()) {
      database_ = "t_" + suffix_;
      auto created = Direct(admin_url_, "CREATE DATABASE " + database_ + " OWNER " + UserOf(app_url_));
      ASSERT_TRUE(created.ok()) << created.status().ToString();
      url_ = WithDatabase(app_url_, database_);
    }
  }

  void TearDown() override {
    if (!database_.empty()) (void)Direct(admin_url_, "DROP DATABASE IF EXISTS " + database_ + " WITH (FORCE)");
    for (const std::string& role : roles_to_drop_) (void)Direct(admin_url_, "DROP ROLE IF EXISTS " + role);
  }

  Result<std::unique_ptr<Database>> Open(std::vector<Segment> segments = {Segment::kCore, Segment::kAudit},
                                         std::string url = {}, int pool_size = 4) {
    DatabaseOptions options;
    options.postgres_url = url.empty() ? url_ : url;
    options.pool_size = pool_size;
    options.segments = std::move(segments);
    return OpenDatabase(options);
  }

  // A login role for the separation tests, dropped after the test.
  std::string CreateLoginRole(const std::string& prefix, const std::string& attributes) {
    std::string role = prefix + suffix_;
    auto created = Direct(admin_url_, "CREATE ROLE " + role + " LOGIN PASSWORD 'pw' " + attributes);
    EXPECT_TRUE(created.ok()) << created.status().ToString();
    roles_to_drop_.push_back(role);
    return role;
  }

  std::string Username(const std::string& name) const { return name + "-" + suffix_; }

  std::string suffix_ = RandomSuffix();
  std::string app_url_;
  std::string admin_url_;
  std::string url_;
  std::string database_;
  std::vector<std::string> roles_to_drop_;
};

#define SKIP_WITHOUT_ADMIN() \
  if (admin_url_.empty()) GTEST_SKIP() << "PASSWERK_TEST_PG_ADMIN_URL not set: run under scripts/with-postgres"

TEST_F(PostgresDatabaseTest, OpenCreatesOneSchemaPerSegmentAndAppliesMigrations) {
  auto db = Open();
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  EXPECT_EQ((*db)->engine(), Engine::kPostgres);
  Status status = (*db)->Read([&](Tx& tx) -> Status {
    PW_ASSIGN_OR_RETURN(Rows schemas, tx.Query("SELECT nspname FROM pg_namespace WHERE nspname = ANY($1) "
                                               "ORDER BY nspname",
                                               {std::string("{core,audit}")}));
    EXPECT_EQ(schemas.size(), 2u);
    PW_ASSIGN_OR_RETURN(Row tables, tx.QueryOne("SELECT to_regclass('core.users') IS NOT NULL, "
                                                "to_regclass('audit.entries') IS NOT NULL"));
    EXPECT_EQ(tables.Int(0), 1);
    EXPECT_EQ(tables.Int(1), 1);
    // The audit migration seeds the chain head (fresh databases only: others may have advanced it).
    PW_ASSIGN_OR_RETURN(Row head, tx.QueryOne("SELECT seq, entry_hash FROM audit.head WHERE id = 1"));
    if (!database_.empty()) {
      EXPECT_EQ(head.Int(0), 0);
    }
    return Status::Ok();
  });
  EXPECT_TRUE(status.ok()) << status.ToString();
  for (Segment segment : {Segment::kCore, Segment::kAudit}) {
    auto version = SchemaVersion(**db, segment);
    ASSERT_TRUE(version.ok()) << version.status().ToString();
    EXPECT_EQ(*version, MigrationsFor(segment).back().version);
  }

  // Reopening finds everything in place and applies nothing.
  db->reset();
  auto reopened = Open();
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  auto applied = ApplyMigrations(**reopened, Segment::kCore);
  ASSERT_TRUE(applied.ok()) << applied.status().ToString();
  EXPECT_EQ(*applied, 0);
}

TEST_F(PostgresDatabaseTest, UniqueViolationIsAlreadyExists) {
  auto db = Open();
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  const std::string name = Username("alice");
  auto insert = [&](Tx& tx) { return Ok(tx.Exec(kInsertUser, {name, std::string("Alice"), std::monostate{}})); };
  ASSERT_TRUE((*db)->Write(insert).ok());
  Status again = (*db)->Write(insert);
  EXPECT_EQ(again.code(), ErrorCode::kAlreadyExists) << again.ToString();
  EXPECT_EQ(again.message(), "already exists");
  EXPECT_NE(again.detail().find("23505"), std::string::npos) << again.detail();
  EXPECT_NE(again.detail().find("INSERT INTO core.users"), std::string::npos) << again.detail();
  // The DETAIL line of the server (which echoes the key) stays out of the log detail.
  EXPECT_EQ(again.detail().find(name), std::string::npos) << again.detail();
}

TEST_F(PostgresDatabaseTest, FailingBodyRollsBack) {
  auto db = Open();
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  const std::string bob = Username("bob");
  const std::string carol = Username("carol");
  Status failed = (*db)->Write([&](Tx& tx) -> Status {
    PW_RETURN_IF_ERROR(Ok(tx.Exec(kInsertUser, {bob, std::string("Bob"), std::monostate{}})));
    return FailedPrecondition("changed my mind");
  });
  EXPECT_EQ(failed.code(), ErrorCode::kFailedPrecondition);

  // A body that swallows a storage error cannot commit: PostgreSQL aborted the
  // transaction, so the first error is returned and nothing is written.
  Status swallowed = (*db)->Write([&](Tx& tx) -> Status {
    PW_RETURN_IF_ERROR(Ok(tx.Exec(kInsertUser, {carol, std::string("Carol"), std::monostate{}})));
    auto broken = tx.Exec("INSERT INTO core.no_such_table VALUES (1)");
    EXPECT_EQ(broken.status().code(), ErrorCode::kInternal);
    EXPECT_EQ(broken.status().message(), "internal error");
    auto next = tx.Exec("SELECT 1");
    EXPECT_FALSE(next.ok());
    return Status::Ok();
  });
  EXPECT_EQ(swallowed.code(), ErrorCode::kInternal) << swallowed.ToString();

  Status read = (*db)->Read([&](Tx& tx) -> Status {
    PW_ASSIGN_OR_RETURN(Row row,
                        tx.QueryOne("SELECT count(*) FROM core.users WHERE username IN ($1, $2)", {bob, carol}));
    EXPECT_EQ(row.Int(0), 0);
    return Status::Ok();
  });
  EXPECT_TRUE(read.ok()) << read.ToString();
}

TEST_F(PostgresDatabaseTest, ReadIsReadOnly) {
  auto db = Open();
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  Status status = (*db)->Read([&](Tx& tx) -> Status {
    return Ok(tx.Exec(kInsertUser, {Username("dave"), std::string("Dave"), std::monostate{}}));
  });
  EXPECT_EQ(status.code(), ErrorCode::kInternal);
  EXPECT_NE(status.detail().find("25006"), std::string::npos) << status.detail();
}

TEST_F(PostgresDatabaseTest, BlobRoundTripKeepsEveryByte) {
  auto db = Open();
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  Blob all;
  for (int b = 0; b < 256; ++b) all.bytes.push_back(static_cast<char>(b));
  const std::string name = Username("erin");
  ASSERT_TRUE((*db)->Write([&](Tx& tx) { return Ok(tx.Exec(kInsertUser, {name, std::string("Erin"), all})); }).ok());
  Status status = (*db)->Read([&](Tx& tx) -> Status {
    PW_ASSIGN_OR_RETURN(Row row, tx.QueryOne("SELECT totp_secret_enc FROM core.users WHERE username = $1", {name}));
    EXPECT_EQ(row.at(0), Value(all));
    PW_ASSIGN_OR_RETURN(Row direct,
                        tx.QueryOne("SELECT $1::bytea, $2::bytea, $3::bytea", {all, Blob{}, std::monostate{}}));
    EXPECT_EQ(direct.at(0), Value(all));
    EXPECT_EQ(direct.at(1), Value(Blob{}));  // empty, not NULL
    EXPECT_TRUE(direct.IsNull(2));
    return Status::Ok();
  });
  EXPECT_TRUE(status.ok()) << status.ToString();
}

TEST_F(PostgresDatabaseTest, ValuesRoundTripByType) {
  auto db = Open();
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  const std::string text = "Grüße, 'quoted' \"and\" \\ back\nslash";
  Status status = (*db)->Read([&](Tx& tx) -> Status {
    PW_ASSIGN_OR_RETURN(
        Row row, tx.QueryOne("SELECT $1::bigint, $2::bigint, $3::float8, $4::text, $5::bigint, $6::text, "
                             "7::int2, 8::int4, 2.5::numeric, true, false, 1.5::float4, 'x'::varchar, "
                             "'2024-01-02'::date, NULL::text",
                             {std::numeric_limits<int64_t>::max(), std::numeric_limits<int64_t>::min(), 0.1, text,
                              std::monostate{}, std::string()}));
    EXPECT_EQ(row.at(0), Value(std::numeric_limits<int64_t>::max()));
    EXPECT_EQ(row.at(1), Value(std::numeric_limits<int64_t>::min()));
    EXPECT_EQ(row.at(2), Value(0.1));
    EXPECT_EQ(row.at(3), Value(text));
    EXPECT_TRUE(row.IsNull(4));
    EXPECT_EQ(row.at(5), Value(std::string()));  // empty text is not NULL
    EXPECT_EQ(row.at(6), Value(int64_t{7}));
    EXPECT_EQ(row.at(7), Value(int64_t{8}));
    EXPECT_EQ(row.at(8), Value(2.5));
    EXPECT_EQ(row.at(9), Value(int64_t{1}));
    EXPECT_EQ(row.at(10), Value(int64_t{0}));
    EXPECT_EQ(row.at(11), Value(1.5));
    EXPECT_EQ(row.at(12), Value(std::string("x")));
    EXPECT_EQ(row.at(13), Value(std::string("2024-01-02")));
    EXPECT_TRUE(row.IsNull(14));

    // Like SQLite: extra parameters are ignored, missing ones are NULL.
    PW_ASSIGN_OR_RETURN(Row extra, tx.QueryOne("SELECT $1::bigint", {int64_t{5}, std::string("unused")}));
    EXPECT_EQ(extra.at(0), Value(int64_t{5}));
    PW_ASSIGN_OR_RETURN(Row missing, tx.QueryOne("SELECT $1::bigint, $2::text", {int64_t{6}}));
    EXPECT_TRUE(missing.IsNull(1));
    return Status::Ok();
  });
  EXPECT_TRUE(status.ok()) << status.ToString();

  Status nul = (*db)->Read([](Tx& tx) { return Ok(tx.Exec("SELECT $1::text", {std::string("a\0b", 3)})); });
  EXPECT_EQ(nul.code(), ErrorCode::kInvalidArgument);
}

TEST_F(PostgresDatabaseTest, ExecCountsChangedRows) {
  auto db = Open();
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  Status status = (*db)->Write([&](Tx& tx) -> Status {
    for (const char* who : {"f1", "f2", "f3"}) {
      PW_ASSIGN_OR_RETURN(int64_t inserted, tx.Exec(kInsertUser, {Username(who), std::string(who), Blob{"k"}}));
      EXPECT_EQ(inserted, 1);
    }
    PW_ASSIGN_OR_RETURN(int64_t updated,
                        tx.Exec("UPDATE core.users SET disabled = 1 WHERE username LIKE $1", {"f_-" + suffix_}));
    EXPECT_EQ(updated, 3);
    return Status::Ok();
  });
  EXPECT_TRUE(status.ok()) << status.ToString();
}

TEST_F(PostgresDatabaseTest, ConcurrentWritersAllCommit) {
  auto db = Open({Segment::kCore, Segment::kAudit}, {}, 4);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  constexpr int kThreads = 4;
  constexpr int kWritesPerThread = 25;
  std::vector<std::thread> threads;
  std::vector<int> failures(kThreads, 0);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kWritesPerThread; ++i) {
        Status status = (*db)->Write([&](Tx& tx) -> Status {
          std::string name = Username("w" + std::to_string(t) + "-" + std::to_string(i));
          PW_RETURN_IF_ERROR(Ok(tx.Exec(kInsertUser, {name, name, std::monostate{}})));
          // Every writer also bumps the same row: row locks serialise them.
          return Ok(tx.Exec("UPDATE audit.head SET seq = seq + 1 WHERE id = 1"));
        });
        if (!status.ok()) ++failures[static_cast<size_t>(t)];
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(failures[static_cast<size_t>(t)], 0) << "thread " << t;
  Status status = (*db)->Read([&](Tx& tx) -> Status {
    PW_ASSIGN_OR_RETURN(Row users,
                        tx.QueryOne("SELECT count(*) FROM core.users WHERE username LIKE $1", {"w%-" + suffix_}));
    EXPECT_EQ(users.Int(0), kThreads * kWritesPerThread);
    PW_ASSIGN_OR_RETURN(Row head, tx.QueryOne("SELECT seq FROM audit.head WHERE id = 1"));
    if (!database_.empty()) {
      EXPECT_EQ(head.Int(0), kThreads * kWritesPerThread);
    }
    return Status::Ok();
  });
  EXPECT_TRUE(status.ok()) << status.ToString();
}

TEST(PostgresDatabaseOpenTest, UnreachableServerIsUnavailableWithoutPassword) {
  DatabaseOptions options;
  options.postgres_url = "postgresql://passwerk_app:S3cret-Pa55@127.0.0.1:1/passwerk_test";
  options.segments = {Segment::kCore};
  auto db = OpenDatabase(options);
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.status().code(), ErrorCode::kUnavailable);
  EXPECT_EQ(db.status().message(), "cannot connect to the database");
  EXPECT_NE(db.status().detail().find("127.0.0.1"), std::string::npos) << db.status().detail();
  EXPECT_EQ(db.status().ToString().find("S3cret-Pa55"), std::string::npos) << db.status().ToString();
}

TEST(PostgresDatabaseOpenTest, MalformedUrlIsInvalidArgumentWithoutPassword) {
  DatabaseOptions options;
  options.postgres_url = "postgresql://user:S3cret-Pa55@127.0.0.1:1/db?nonsense_option=S3cret-Pa55";
  auto db = OpenDatabase(options);
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(db.status().ToString().find("S3cret-Pa55"), std::string::npos) << db.status().ToString();
}

TEST_F(PostgresDatabaseTest, WrongPasswordIsUnavailableWithoutPassword) {
  auto db = Open({Segment::kCore}, WithLogin(url_, UserOf(app_url_), "Wr0ng-Pa55"));
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.status().code(), ErrorCode::kUnavailable);
  EXPECT_EQ(db.status().ToString().find("Wr0ng-Pa55"), std::string::npos) << db.status().ToString();
}

TEST_F(PostgresDatabaseTest, LostConnectionIsUnavailableThenRecovers) {
  auto db = Open({Segment::kCore, Segment::kAudit}, {}, 1);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  // Our own role may terminate its own sessions; the call waits until the backend is gone.
  auto terminate = [&](int64_t pid) {
    auto killed = Direct(url_, "SELECT pg_terminate_backend(" + std::to_string(pid) + ", 10000)");
    EXPECT_TRUE(killed.ok()) << killed.status().ToString();
  };
  auto backend_pid = [&]() -> int64_t {
    int64_t pid = 0;
    Status status = (*db)->Read([&](Tx& tx) -> Status {
      PW_ASSIGN_OR_RETURN(Row row, tx.QueryOne("SELECT pg_backend_pid()"));
      pid = row.Int(0);
      return Status::Ok();
    });
    EXPECT_TRUE(status.ok()) << status.ToString();
    return pid;
  };

  // Lost in the middle of a transaction: kUnavailable, no crash.
  Status lost = (*db)->Write([&](Tx& tx) -> Status {
    PW_ASSIGN_OR_RETURN(Row pid, tx.QueryOne("SELECT pg_backend_pid()"));
    terminate(pid.Int(0));
    return Ok(tx.Exec("UPDATE audit.head SET seq = seq + 1 WHERE id = 1"));
  });
  EXPECT_EQ(lost.code(), ErrorCode::kUnavailable) << lost.ToString();
  EXPECT_EQ(lost.message().find("UPDATE"), std::string::npos) << lost.message();

  // The broken connection is replaced before the next transaction.
  Status next = (*db)->Write([](Tx& tx) { return Ok(tx.Exec("UPDATE audit.head SET seq = seq + 1 WHERE id = 1")); });
  EXPECT_TRUE(next.ok()) << next.ToString();

  // Killed while idle (as after a server restart): noticed at BEGIN, retried once.
  terminate(backend_pid());
  Status after_idle_kill = (*db)->Read([](Tx& tx) { return Ok(tx.Exec("SELECT seq FROM audit.head")); });
  EXPECT_TRUE(after_idle_kill.ok()) << after_idle_kill.ToString();
  terminate(backend_pid());
  EXPECT_TRUE((*db)->Ping().ok());
}

TEST_F(PostgresDatabaseTest, StalePreparedStatementRecoversAfterSchemaChange) {
  auto db = Open({Segment::kCore}, {}, 1);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  const std::string table = "core.t_" + suffix_;
  auto select_all = [&](Tx& tx) -> Status {
    PW_ASSIGN_OR_RETURN(Rows rows, tx.Query("SELECT * FROM " + table));
    return Status::Ok();
  };
  ASSERT_TRUE((*db)->Write([&](Tx& tx) { return Ok(tx.Exec("CREATE TABLE " + table + " (a BIGINT)")); }).ok());
  ASSERT_TRUE((*db)->Read(select_all).ok());
  ASSERT_TRUE((*db)->Write([&](Tx& tx) { return Ok(tx.Exec("ALTER TABLE " + table + " ADD COLUMN b TEXT")); }).ok());
  // The cached statement's result type changed: the server refuses it once,
  // the connection drops its cache, and the next transaction succeeds.
  Status stale = (*db)->Read(select_all);
  if (!stale.ok()) {
    EXPECT_EQ(stale.code(), ErrorCode::kInternal);
    EXPECT_NE(stale.detail().find("0A000"), std::string::npos) << stale.detail();
  }
  Status fresh = (*db)->Read(select_all);
  EXPECT_TRUE(fresh.ok()) << fresh.ToString();
}

TEST_F(PostgresDatabaseTest, SegmentRolesOwnOnlyTheirSchema) {
  auto db = Open();
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  auto may_create_roles = Direct(url_, "SELECT rolsuper OR rolcreaterole FROM pg_roles WHERE rolname = current_user");
  ASSERT_TRUE(may_create_roles.ok());
  if (*may_create_roles != "t") GTEST_SKIP() << "the test role may not create roles: operators create them";

  Status status = (*db)->Read([](Tx& tx) -> Status {
    PW_ASSIGN_OR_RETURN(Rows roles, tx.Query("SELECT rolname, rolcanlogin FROM pg_roles "
                                             "WHERE rolname IN ('passwerk_core', 'passwerk_audit') ORDER BY 1"));
    EXPECT_EQ(roles.size(), 2u);
    for (const Row& role : roles) EXPECT_EQ(role.Int(1), 0) << role.Text(0) << " must be NOLOGIN";
    PW_ASSIGN_OR_RETURN(
        Row owners,
        tx.QueryOne("SELECT (SELECT nspowner::regrole::text FROM pg_namespace WHERE nspname = 'core'), "
                    "(SELECT nspowner::regrole::text FROM pg_namespace WHERE nspname = 'audit'), "
                    "(SELECT tableowner FROM pg_tables WHERE schemaname = 'core' AND tablename = 'users'), "
                    "(SELECT tableowner FROM pg_tables WHERE schemaname = 'audit' AND tablename = 'entries')"));
    EXPECT_EQ(owners.Text(0), "passwerk_core");
    EXPECT_EQ(owners.Text(1), "passwerk_audit");
    EXPECT_EQ(owners.Text(2), "passwerk_core");
    EXPECT_EQ(owners.Text(3), "passwerk_audit");
    PW_ASSIGN_OR_RETURN(Row grants, tx.QueryOne("SELECT has_schema_privilege('passwerk_core', 'audit', 'USAGE'), "
                                                "has_schema_privilege('passwerk_audit', 'core', 'USAGE'), "
                                                "has_table_privilege('passwerk_audit', 'core.users', 'SELECT'), "
                                                "has_table_privilege('passwerk_core', 'audit.entries', 'SELECT'), "
                                                "has_schema_privilege('passwerk_core', 'core', 'USAGE, CREATE'), "
                                                "pg_has_role(current_user, 'passwerk_core', 'USAGE'), "
                                                "pg_has_role(current_user, 'passwerk_audit', 'USAGE')"));
    EXPECT_EQ(grants.Int(0), 0);
    EXPECT_EQ(grants.Int(1), 0);
    EXPECT_EQ(grants.Int(2), 0);
    EXPECT_EQ(grants.Int(3), 0);
    EXPECT_EQ(grants.Int(4), 1);
    EXPECT_EQ(grants.Int(5), 1);
    EXPECT_EQ(grants.Int(6), 1);
    return Status::Ok();
  });
  EXPECT_TRUE(status.ok()) << status.ToString();
}

TEST_F(PostgresDatabaseTest, LoginRoleGetsOnlyTheSegmentsItOpens) {
  SKIP_WITHOUT_ADMIN();
  ASSERT_TRUE(Open().ok());  // creates both segments as the application role
  std::string role = CreateLoginRole("t_core_only_", "CREATEROLE");
  auto db = Open({Segment::kCore}, WithLogin(url_, role, "pw"));
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  Status core = (*db)->Read([](Tx& tx) { return Ok(tx.Exec("SELECT count(*) FROM core.users")); });
  EXPECT_TRUE(core.ok()) << core.ToString();
  Status audit = (*db)->Read([](Tx& tx) { return Ok(tx.Exec("SELECT seq FROM audit.head")); });
  EXPECT_EQ(audit.code(), ErrorCode::kInternal);
  EXPECT_NE(audit.detail().find("42501"), std::string::npos) << audit.detail();
  auto memberships = Direct(admin_url_, "SELECT pg_has_role('" + role +
                                            "', 'passwerk_core', 'MEMBER')::text || "
                                            "pg_has_role('" +
                                            role + "', 'passwerk_audit', 'MEMBER')::text");
  ASSERT_TRUE(memberships.ok());
  EXPECT_EQ(*memberships, "truefalse");
}

TEST_F(PostgresDatabaseTest, OperatorGrantedRoleWorksWithoutCreateRole) {
  SKIP_WITHOUT_ADMIN();
  ASSERT_TRUE(Open().ok());
  std::string granted = CreateLoginRole("t_granted_", "");
  ASSERT_TRUE(Direct(admin_url_, "GRANT passwerk_core TO " + granted).ok());
  auto db = Open({Segment::kCore}, WithLogin(url_, granted, "pw"));
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  const std::string name = Username("gina");
  Status write = (*db)->Write([&](Tx& tx) { return Ok(tx.Exec(kInsertUser, {name, name, std::monostate{}})); });
  EXPECT_TRUE(write.ok()) << write.ToString();

  // Without the grant the segment stays closed, and open fails cleanly.
  std::string stranger = CreateLoginRole("t_stranger_", "");
  auto refused = Open({Segment::kCore}, WithLogin(url_, stranger, "pw"));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().message().find("core."), std::string::npos) << refused.status().ToString();
  EXPECT_NE(refused.status().detail().find("42501"), std::string::npos) << refused.status().detail();
}

}  // namespace
}  // namespace passwerk::storage
