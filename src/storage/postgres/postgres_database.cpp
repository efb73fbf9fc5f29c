// PostgreSQL engine through libpq: one schema per segment (owned by the NOLOGIN
// role passwerk_<segment>), a pool of connections, and per-connection caches of
// prepared statements. Runs the shared SQL (`core.users`, `$1`) unchanged.
#include "storage/postgres/postgres_database.h"

#include <libpq-fe.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <condition_variable>
#include <cstring>
#include <map>
#include <mutex>
#include <unordered_map>

#include "storage/connection_pool.h"

namespace passwerk::storage {
namespace {

// Type OIDs from pg_type.dat; stable across PostgreSQL versions.
constexpr Oid kBoolOid = 16;
constexpr Oid kByteaOid = 17;
constexpr Oid kInt8Oid = 20;
constexpr Oid kInt2Oid = 21;
constexpr Oid kInt4Oid = 23;
constexpr Oid kFloat4Oid = 700;
constexpr Oid kFloat8Oid = 701;
constexpr Oid kNumericOid = 1700;

constexpr int kDefaultPoolSize = 4;
// Statements are cached by SQL text; SQL built at run time must not grow the cache forever.
constexpr size_t kMaxCachedStatements = 512;
constexpr size_t kMaxSqlInDetail = 200;
constexpr const char* kConnectTimeoutSeconds = "10";
constexpr const char* kSegmentSetupLock = "SELECT pg_advisory_lock(hashtext('passwerk segment setup'))";
constexpr const char* kSegmentSetupUnlock = "SELECT pg_advisory_unlock(hashtext('passwerk segment setup'))";

struct ResultDeleter {
  void operator()(PGresult* result) const { PQclear(result); }
};
using PgResult = std::unique_ptr<PGresult, ResultDeleter>;

bool StartsWithWord(std::string_view text, std::string_view word) {
  if (text.size() < word.size()) return false;
  for (size_t i = 0; i < word.size(); ++i) {
    if (std::toupper(static_cast<unsigned char>(text[i])) != word[i]) return false;
  }
  return text.size() == word.size() || !std::isalnum(static_cast<unsigned char>(text[word.size()]));
}

std::string_view TrimLeft(std::string_view sql) {
  size_t first = sql.find_first_not_of(" \t\r\n");
  return first == std::string_view::npos ? std::string_view() : sql.substr(first);
}

// DDL and session settings run once (migrations), so they are not prepared or cached.
bool IsSchemaChange(std::string_view sql) {
  sql = TrimLeft(sql);
  for (std::string_view word : {"CREATE", "ALTER", "DROP", "SET", "RESET", "GRANT", "REVOKE", "COMMENT", "DO"}) {
    if (StartsWithWord(sql, word)) return true;
  }
  return false;
}

bool IsIdentifierChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

std::string QuoteIdentifier(std::string_view name) {
  std::string out = "\"";
  for (char c : name) {
    out.push_back(c);
    if (c == '"') out.push_back('"');
  }
  return out + "\"";
}

std::string TrimRight(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

void ReplaceAll(std::string& text, const std::string& from, std::string_view to) {
  if (from.empty()) return;
  for (size_t pos = text.find(from); pos != std::string::npos; pos = text.find(from, pos + to.size())) {
    text.replace(pos, from.size(), to);
  }
}

// The password as written in a postgresql:// URL (still percent-encoded), if any.
std::string RawUrlPassword(std::string_view url) {
  size_t scheme = url.find("://");
  if (scheme == std::string_view::npos) return {};
  std::string_view rest = url.substr(scheme + 3);
  std::string_view authority = rest.substr(0, rest.find_first_of("/?"));
  size_t at = authority.rfind('@');
  if (at == std::string_view::npos) return {};
  std::string_view userinfo = authority.substr(0, at);
  size_t colon = userinfo.find(':');
  return colon == std::string_view::npos ? std::string() : std::string(userinfo.substr(colon + 1));
}

// What every connection needs: libpq parameters, session settings, and the
// secrets that must never reach a Status.
struct Settings {
  std::string url;
  std::string target;  // user@host:port/dbname, for details in the log
  std::vector<std::string> secrets;
  int lock_timeout_ms = 0;

  std::string Redact(std::string text) const {
    for (const std::string& secret : secrets) ReplaceAll(text, secret, "***");
    return text;
  }
};

Result<std::shared_ptr<const Settings>> ParseSettings(const DatabaseOptions& options) {
  auto settings = std::make_shared<Settings>();
  settings->url = options.postgres_url;
  settings->lock_timeout_ms = std::max(0, options.busy_timeout_ms);
  std::string raw_password = RawUrlPassword(options.postgres_url);
  if (!raw_password.empty()) settings->secrets.push_back(raw_password);

  char* error = nullptr;
  PQconninfoOption* parsed = PQconninfoParse(options.postgres_url.c_str(), &error);
  if (parsed == nullptr) {
    std::string detail = error != nullptr ? TrimRight(error) : "out of memory";
    PQfreemem(error);
    return Status(ErrorCode::kInvalidArgument, "invalid PostgreSQL URL", settings->Redact(detail));
  }
  std::map<std::string, std::string> values;
  for (PQconninfoOption* option = parsed; option->keyword != nullptr; ++option) {
    if (option->val != nullptr) values[option->keyword] = option->val;
  }
  PQconninfoFree(parsed);
  if (!values["password"].empty()) settings->secrets.push_back(values["password"]);
  std::string host = !values["host"].empty() ? values["host"] : values["hostaddr"];
  settings->target = values["user"] + "@" + (host.empty() ? "localhost" : host) + ":" +
                     (values["port"].empty() ? "5432" : values["port"]) + "/" + values["dbname"];
  return std::shared_ptr<const Settings>(std::move(settings));
}

std::string ErrorField(const PGresult* result, int field) {
  const char* value = result != nullptr ? PQresultErrorField(result, field) : nullptr;
  return value != nullptr ? value : "";
}

// Maps a failed result to the storage contract's codes. The detail carries the
// SQLSTATE, the server's primary message (never its DETAIL line, which can echo
// key values) and the start of the SQL; the message is fit for a client.
Status MapError(PGconn* conn, const PGresult* result, std::string_view sql, const Settings& settings) {
  std::string state = ErrorField(result, PG_DIAG_SQLSTATE);
  std::string text = ErrorField(result, PG_DIAG_MESSAGE_PRIMARY);
  if (text.empty()) text = TrimRight(PQerrorMessage(conn));
  std::string constraint = ErrorField(result, PG_DIAG_CONSTRAINT_NAME);
  std::string detail = "SQLSTATE " + (state.empty() ? std::string("none") : state) + ": " + text;
  if (!constraint.empty()) detail += " (constraint " + constraint + ")";
  if (!sql.empty()) detail += " in: " + std::string(TrimLeft(sql).substr(0, kMaxSqlInDetail));
  detail = settings.Redact(std::move(detail));

  auto in_class = [&](std::string_view prefix) { return state.rfind(prefix, 0) == 0; };
  bool connection_lost = PQstatus(conn) != CONNECTION_OK;
  if (state == "23505") return {ErrorCode::kAlreadyExists, "already exists", detail};
  if (in_class("57P")) return Unavailable("the database is restarting, please retry", detail);
  if (in_class("53")) return Unavailable("the database is out of resources, please retry later", detail);
  if (state == "40001" || state == "40P01") {
    return Unavailable("the database is busy with a conflicting change, please retry", detail);
  }
  if (state == "55P03") return Unavailable("the database is busy, please retry", detail);
  // 08P01 on a live connection is a malformed request (a bug), not a lost server.
  if (connection_lost || (in_class("08") && state != "08P01")) {
    return Unavailable("the database connection was lost, please retry", detail);
  }
  return Internal(detail);
}

std::string FormatDouble(double value) {
  char buffer[64];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof(buffer), value);
  if (ec != std::errc()) return std::to_string(value);
  return std::string(buffer, end);
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Blob DecodeBytea(const char* text, size_t length) {
  Blob blob;
  if (length >= 2 && text[0] == '\\' && text[1] == 'x') {
    blob.bytes.reserve((length - 2) / 2);
    for (size_t i = 2; i + 1 < length; i += 2) {
      blob.bytes.push_back(static_cast<char>(HexDigit(text[i]) * 16 + HexDigit(text[i + 1])));
    }
    return blob;
  }
  // The legacy escape format, in case a server overrides bytea_output.
  size_t size = 0;
  unsigned char* bytes = PQunescapeBytea(reinterpret_cast<const unsigned char*>(text), &size);
  if (bytes != nullptr) {
    blob.bytes.assign(reinterpret_cast<const char*>(bytes), size);
    PQfreemem(bytes);
  }
  return blob;
}

Value DecodeValue(const PGresult* result, int row, int column) {
  if (PQgetisnull(result, row, column)) return std::monostate{};
  const char* text = PQgetvalue(result, row, column);
  size_t length = static_cast<size_t>(PQgetlength(result, row, column));
  switch (PQftype(result, column)) {
    case kInt2Oid:
    case kInt4Oid:
    case kInt8Oid: {
      int64_t number = 0;
      auto [end, ec] = std::from_chars(text, text + length, number);
      if (ec == std::errc() && end == text + length) return number;
      break;
    }
    case kFloat4Oid:
    case kFloat8Oid:
    case kNumericOid: {
      double number = 0;
      auto [end, ec] = std::from_chars(text, text + length, number);
      if (ec == std::errc() && end == text + length) return number;
      break;  // e.g. a numeric beyond double's range: keep the exact text
    }
    case kBoolOid:
      return int64_t{text[0] == 't' ? 1 : 0};
    case kByteaOid:
      return DecodeBytea(text, length);
    default:
      break;
  }
  return std::string(text, length);
}

struct PreparedStatement {
  std::string name;
  int param_count = 0;
};

// One libpq connection. Used by one transaction (one thread) at a time.
class Connection {
 public:
  Connection(PGconn* conn, std::shared_ptr<const Settings> settings) : conn_(conn), settings_(std::move(settings)) {}
  ~Connection() { PQfinish(conn_); }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  static Result<std::unique_ptr<Connection>> Open(std::shared_ptr<const Settings> settings) {
    // The URL may override the defaults listed before it (expand_dbname).
    const char* const keywords[] = {"connect_timeout", "application_name", "dbname", nullptr};
    const char* const values[] = {kConnectTimeoutSeconds, "passwerk", settings->url.c_str(), nullptr};
    PGconn* raw = PQconnectdbParams(keywords, values, 1);
    if (raw == nullptr) return Unavailable("cannot connect to the database", "libpq: out of memory");
    auto conn = std::make_unique<Connection>(raw, std::move(settings));
    if (PQstatus(raw) != CONNECTION_OK) return conn->ConnectError();
    // Notices ("relation already exists, skipping") would go to stderr otherwise.
    PQsetNoticeProcessor(
        raw, [](void*, const char*) {}, nullptr);
    PW_RETURN_IF_ERROR(conn->SetUpSession());
    return conn;
  }

  bool healthy() const { return PQstatus(conn_) == CONNECTION_OK; }

  // Reconnects a broken connection and ends a transaction left open (a body
  // that threw), so every transaction starts on a clean session.
  Status EnsureUsable() {
    if (!healthy()) return Reconnect();
    if (PQtransactionStatus(conn_) != PQTRANS_IDLE) {
      PgResult rollback(PQexec(conn_, "ROLLBACK"));
      if (!healthy() || PQtransactionStatus(conn_) != PQTRANS_IDLE) return Reconnect();
    }
    return Status::Ok();
  }

  // Starts a transaction. A connection the server closed while it sat idle
  // (restart, idle timeout) only shows up now; nothing ran yet, so retry once.
  Status Begin(const char* sql) {
    PW_RETURN_IF_ERROR(EnsureUsable());
    Status status = Simple(sql);
    if (!status.ok() && !healthy()) {
      PW_RETURN_IF_ERROR(Reconnect());
      status = Simple(sql);
    }
    return status;
  }

  Status Commit() {
    PgResult result(PQexec(conn_, "COMMIT"));
    if (result == nullptr || PQresultStatus(result.get()) != PGRES_COMMAND_OK) {
      return MapError(conn_, result.get(), "COMMIT", *settings_);
    }
    // COMMIT of a transaction the server had already aborted reports ROLLBACK.
    if (std::strcmp(PQcmdStatus(result.get()), "COMMIT") != 0) {
      return Internal("the server rolled the transaction back instead of committing it");
    }
    return Status::Ok();
  }

  void RollbackQuietly() {
    if (!healthy() || PQtransactionStatus(conn_) == PQTRANS_IDLE) return;
    PgResult result(PQexec(conn_, "ROLLBACK"));
  }

  // After a transaction: drop prepared statements the server declared stale
  // ("cached plan must not change result type" after an ALTER TABLE).
  void AfterTransaction() {
    if (!stale_statements_ || !healthy()) return;
    PgResult result(PQexec(conn_, "DEALLOCATE ALL"));
    if (result != nullptr && PQresultStatus(result.get()) == PGRES_COMMAND_OK) {
      statements_.clear();
      stale_statements_ = false;
    }
  }

  // A statement without parameters, unprepared (transaction control, settings).
  Status Simple(const std::string& sql) {
    PgResult result(PQexec(conn_, sql.c_str()));
    ExecStatusType status = result != nullptr ? PQresultStatus(result.get()) : PGRES_FATAL_ERROR;
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
      return MapError(conn_, result.get(), sql, *settings_);
    }
    return Status::Ok();
  }

  // Runs one statement with parameters: prepared and cached unless it changes
  // the schema (or `prepare` is false).
  Result<PgResult> Execute(std::string_view sql, const Params& params, bool prepare = true) {
    const std::string text(sql);
    const PreparedStatement* prepared = nullptr;
    if (prepare && !IsSchemaChange(sql)) {
      PW_ASSIGN_OR_RETURN(prepared, Prepare(text));
    }
    // Like SQLite: missing parameters are NULL, extra ones are ignored.
    size_t count = prepared != nullptr ? static_cast<size_t>(prepared->param_count) : params.size();
    std::vector<std::string> converted(count);
    std::vector<const char*> values(count, nullptr);
    std::vector<int> lengths(count, 0);
    std::vector<int> formats(count, 0);
    for (size_t i = 0; i < count && i < params.size(); ++i) {
      const Value& v = params[i];
      if (const auto* n = std::get_if<int64_t>(&v)) {
        converted[i] = std::to_string(*n);
        values[i] = converted[i].c_str();
      } else if (const auto* d = std::get_if<double>(&v)) {
        converted[i] = FormatDouble(*d);
        values[i] = converted[i].c_str();
      } else if (const auto* s = std::get_if<std::string>(&v)) {
        // Text parameters end at the first NUL: refuse rather than truncate.
        if (s->find('\0') != std::string::npos) {
          return Status(ErrorCode::kInvalidArgument, "text must not contain NUL bytes",
                        "parameter $" + std::to_string(i + 1) + " in: " + text.substr(0, kMaxSqlInDetail));
        }
        values[i] = s->c_str();
      } else if (const auto* b = std::get_if<Blob>(&v)) {
        values[i] = b->bytes.data();
        lengths[i] = static_cast<int>(b->bytes.size());
        formats[i] = 1;  // binary: raw bytes, no escaping
      }
    }
    const int n = static_cast<int>(count);
    PgResult result(
        prepared != nullptr
            ? PQexecPrepared(conn_, prepared->name.c_str(), n, values.data(), lengths.data(), formats.data(), 0)
            : PQexecParams(conn_, text.c_str(), n, nullptr, values.data(), lengths.data(), formats.data(), 0));
    ExecStatusType status = result != nullptr ? PQresultStatus(result.get()) : PGRES_FATAL_ERROR;
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK || status == PGRES_EMPTY_QUERY) {
      return result;
    }
    if (ErrorField(result.get(), PG_DIAG_SQLSTATE) == "0A000" && prepared != nullptr) {
      stale_statements_ = true;
    }
    if (status == PGRES_COPY_IN || status == PGRES_COPY_OUT) {
      Status unsupported = Internal("COPY is not supported: " + text.substr(0, kMaxSqlInDetail));
      (void)Reconnect();  // the only clean way out of a COPY we did not ask for
      return unsupported;
    }
    return MapError(conn_, result.get(), sql, *settings_);
  }

 private:
  Status ConnectError() const {
    return Unavailable("cannot connect to the database",
                       settings_->Redact(settings_->target + ": " + TrimRight(PQerrorMessage(conn_))));
  }

  Status SetUpSession() {
    return Simple("SET lock_timeout = " + std::to_string(settings_->lock_timeout_ms) +
                  "; SET bytea_output = 'hex'; SET client_encoding = 'UTF8'");
  }

  Status Reconnect() {
    statements_.clear();  // prepared statements die with the session
    stale_statements_ = false;
    PQreset(conn_);
    if (!healthy()) return ConnectError();
    return SetUpSession();
  }

  Result<const PreparedStatement*> Prepare(const std::string& sql) {
    auto found = statements_.find(sql);
    if (found != statements_.end()) return &found->second;
    if (statements_.size() >= kMaxCachedStatements) {
      PW_RETURN_IF_ERROR(Simple("DEALLOCATE ALL"));
      statements_.clear();
    }
    PreparedStatement statement{"s" + std::to_string(++statement_counter_), 0};
    PgResult prepared(PQprepare(conn_, statement.name.c_str(), sql.c_str(), 0, nullptr));
    if (prepared == nullptr || PQresultStatus(prepared.get()) != PGRES_COMMAND_OK) {
      return MapError(conn_, prepared.get(), sql, *settings_);
    }
    PgResult described(PQdescribePrepared(conn_, statement.name.c_str()));
    if (described == nullptr || PQresultStatus(described.get()) != PGRES_COMMAND_OK) {
      return MapError(conn_, described.get(), sql, *settings_);
    }
    statement.param_count = PQnparams(described.get());
    return &statements_.emplace(sql, std::move(statement)).first->second;
  }

  PGconn* conn_;
  std::shared_ptr<const Settings> settings_;
  std::unordered_map<std::string, PreparedStatement> statements_;
  uint64_t statement_counter_ = 0;
  bool stale_statements_ = false;
};

// Schema name → the segment role that owns it, for segments whose role the
// connecting role may use. DDL on such a schema runs as that role, so tables
// belong to the segment, not to whichever login role ran the migration.
using SegmentRoles = std::map<std::string, std::string, std::less<>>;

std::string SchemaOfStatement(std::string_view sql, const SegmentRoles& roles) {
  std::string best;
  size_t best_pos = std::string_view::npos;
  for (const auto& [schema, role] : roles) {
    std::string qualified = schema + ".";
    for (size_t pos = sql.find(qualified); pos != std::string_view::npos && pos < best_pos;
         pos = sql.find(qualified, pos + 1)) {
      if (pos == 0 || !IsIdentifierChar(sql[pos - 1])) {
        best = schema;
        best_pos = pos;
        break;
      }
    }
  }
  return best;
}

class PostgresTx final : public Tx {
 public:
  PostgresTx(Connection& conn, const SegmentRoles& roles) : conn_(conn), roles_(roles) {}

  Result<Rows> Query(std::string_view sql, const Params& params) override {
    PW_ASSIGN_OR_RETURN(PgResult result, Run(sql, params));
    Rows rows;
    int row_count = PQntuples(result.get());
    int column_count = PQnfields(result.get());
    rows.reserve(static_cast<size_t>(row_count));
    for (int r = 0; r < row_count; ++r) {
      std::vector<Value> values;
      values.reserve(static_cast<size_t>(column_count));
      for (int c = 0; c < column_count; ++c) values.push_back(DecodeValue(result.get(), r, c));
      rows.emplace_back(std::move(values));
    }
    return rows;
  }

  Result<int64_t> Exec(std::string_view sql, const Params& params) override {
    PW_ASSIGN_OR_RETURN(PgResult result, Run(sql, params));
    const char* tuples = PQcmdTuples(result.get());
    int64_t changed = 0;
    std::from_chars(tuples, tuples + std::strlen(tuples), changed);
    return changed;
  }

  // The first failed statement. PostgreSQL aborts the transaction on any
  // error, so such a transaction can only be rolled back.
  const Status& failure() const { return failure_; }

 private:
  Result<PgResult> Run(std::string_view sql, const Params& params) {
    if (!failure_.ok()) {
      return Status(failure_.code(), failure_.message(),
                    "an earlier statement failed, the transaction is aborted: " + failure_.detail());
    }
    Result<PgResult> result = RunAsSegmentRole(sql, params);
    if (!result.ok()) failure_ = result.status();
    return result;
  }

  Result<PgResult> RunAsSegmentRole(std::string_view sql, const Params& params) {
    if (roles_.empty() || !IsSchemaChange(sql)) return conn_.Execute(sql, params);
    std::string schema = SchemaOfStatement(sql, roles_);
    if (schema.empty()) return conn_.Execute(sql, params);
    PW_RETURN_IF_ERROR(conn_.Simple("SET LOCAL ROLE " + QuoteIdentifier(roles_.find(schema)->second)));
    Result<PgResult> result = conn_.Execute(sql, params);
    if (result.ok()) PW_RETURN_IF_ERROR(conn_.Simple("RESET ROLE"));
    return result;
  }

  Connection& conn_;
  const SegmentRoles& roles_;
  Status failure_;
};

class PostgresDatabase final : public Database {
 public:
  PostgresDatabase(std::vector<std::unique_ptr<Connection>> pool, SegmentRoles roles)
      : pool_(std::move(pool)), roles_(std::move(roles)) {}

  Engine engine() const override { return Engine::kPostgres; }

  Status Write(const std::function<Status(Tx&)>& body) override { return Run(body, "BEGIN"); }

  Status Read(const std::function<Status(Tx&)>& body) override {
    return Run(body, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
  }

  Status Ping() override {
    Lease lease(pool_);
    PW_RETURN_IF_ERROR(lease->EnsureUsable());
    Status status = lease->Simple("SELECT 1");
    if (!status.ok() && !lease->healthy()) {
      PW_RETURN_IF_ERROR(lease->EnsureUsable());
      status = lease->Simple("SELECT 1");
    }
    return status;
  }

 private:
  using Lease = ConnectionPool<Connection>::Lease;

  Status Run(const std::function<Status(Tx&)>& body, const char* begin) {
    Lease conn(pool_);
    Status status = conn->Begin(begin);
    if (status.ok()) {
      PostgresTx tx(*conn, roles_);
      // An exception from the body becomes an error: the transaction is rolled back.
      try {
        status = body(tx);
      } catch (const std::exception& e) {
        status = Internal(std::string("transaction body threw: ") + e.what());
      }
      if (status.ok() && !tx.failure().ok()) status = tx.failure();
      if (status.ok()) status = conn->Commit();
      if (!status.ok()) conn->RollbackQuietly();
    }
    conn->AfterTransaction();
    return status;
  }

  ConnectionPool<Connection> pool_;
  const SegmentRoles roles_;
};

Result<bool> QueryBool(Connection& conn, std::string_view sql, const Params& params) {
  PW_ASSIGN_OR_RETURN(PgResult result, conn.Execute(sql, params, /*prepare=*/false));
  return PQntuples(result.get()) > 0 && PQgetvalue(result.get(), 0, 0)[0] == 't';
}

// Creates one schema per segment and, where the connecting role may (superuser
// or CREATEROLE), its NOLOGIN role passwerk_<segment> owning that schema, and
// grants the connecting role membership in the roles of `segments` only.
// Without that privilege the role steps are skipped: operators then create the
// roles, schemas and grants once, as docs/postgresql.md describes, and Passwerk
// uses them if present. Returns the segments whose role this login may use.
Result<SegmentRoles> SetUpSegments(Connection& conn, const std::vector<Segment>& segments) {
  // Serialises concurrent start-ups on one database; released with the session on failure.
  PW_RETURN_IF_ERROR(conn.Simple(kSegmentSetupLock));
  PW_ASSIGN_OR_RETURN(
      bool manages_roles,
      QueryBool(conn, "SELECT rolsuper OR rolcreaterole FROM pg_roles WHERE rolname = current_user", {}));
  SegmentRoles roles;
  for (Segment segment : segments) {
    const std::string schema(SegmentName(segment));
    const std::string role = "passwerk_" + schema;
    if (manages_roles) {
      // Best effort: a concurrent start-up or missing ADMIN OPTION (PostgreSQL 16+
      // for roles created by someone else) is fine, the checks below decide.
      PW_ASSIGN_OR_RETURN(bool role_exists,
                          QueryBool(conn, "SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)", {role}));
      if (!role_exists) (void)conn.Simple("CREATE ROLE " + QuoteIdentifier(role) + " NOLOGIN");
      PW_ASSIGN_OR_RETURN(bool usable, QueryBool(conn,
                                                 "SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1 "
                                                 "AND pg_has_role(current_user, oid, 'USAGE'))",
                                                 {role}));
      if (!usable) (void)conn.Simple("GRANT " + QuoteIdentifier(role) + " TO CURRENT_USER");
    }
    PW_ASSIGN_OR_RETURN(bool schema_exists,
                        QueryBool(conn, "SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)", {schema}));
    if (!schema_exists) {
      PW_ASSIGN_OR_RETURN(bool role_usable, QueryBool(conn,
                                                      "SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1 "
                                                      "AND pg_has_role(current_user, oid, 'USAGE'))",
                                                      {role}));
      std::string create = "CREATE SCHEMA IF NOT EXISTS " + QuoteIdentifier(schema);
      if (role_usable) create += " AUTHORIZATION " + QuoteIdentifier(role);
      PW_RETURN_IF_ERROR(conn.Simple(create));
    }
    PW_ASSIGN_OR_RETURN(bool owns_schema, QueryBool(conn,
                                                    "SELECT EXISTS (SELECT 1 FROM pg_roles r, pg_namespace n "
                                                    "WHERE r.rolname = $1 AND n.nspname = $2 "
                                                    "AND pg_has_role(current_user, r.oid, 'USAGE') "
                                                    "AND has_schema_privilege(r.oid, n.oid, 'CREATE'))",
                                                    {role, schema}));
    if (owns_schema) roles.emplace(schema, role);
  }
  PW_RETURN_IF_ERROR(conn.Simple(kSegmentSetupUnlock));
  return roles;
}

}  // namespace

Result<std::unique_ptr<Database>> OpenPostgresDatabase(const DatabaseOptions& options) {
  PW_ASSIGN_OR_RETURN(std::shared_ptr<const Settings> settings, ParseSettings(options));
  const int size = options.pool_size > 0 ? options.pool_size : kDefaultPoolSize;
  std::vector<std::unique_ptr<Connection>> pool;
  pool.reserve(static_cast<size_t>(size));
  for (int i = 0; i < size; ++i) {
    PW_ASSIGN_OR_RETURN(std::unique_ptr<Connection> conn, Connection::Open(settings));
    pool.push_back(std::move(conn));
  }
  PW_ASSIGN_OR_RETURN(SegmentRoles roles, SetUpSegments(*pool.front(), options.segments));
  return std::unique_ptr<Database>(std::make_unique<PostgresDatabase>(std::move(pool), std::move(roles)));
}

}  // namespace passwerk::storage
