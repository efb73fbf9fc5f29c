// SQLite engine: one file per segment, attached under the segment's name to
// every pooled connection (whose main database is an empty file beside
// them), so the shared SQL (`core.users`) runs unchanged; rollback journals,
// so that a transaction over several segment files commits atomically, also
// against a killed process or a power loss; concurrent writes committed
// together (group commit); foreign keys, a busy wait, prepared-statement
// cache.
#include "storage/sqlite/sqlite_database.h"

#include <sched.h>
#include <sqlite3.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "storage/connection_pool.h"

namespace passwerk::storage {
namespace {

// `$1` → `?1`: SQLite's numbered parameters keep the shared SQL's numbering.
std::string TranslateParams(std::string_view sql) {
  std::string out;
  out.reserve(sql.size());
  for (size_t i = 0; i < sql.size(); ++i) {
    if (sql[i] == '$' && i + 1 < sql.size() && sql[i + 1] >= '0' && sql[i + 1] <= '9') {
      out.push_back('?');
    } else {
      out.push_back(sql[i]);
    }
  }
  return out;
}

Status MapError(sqlite3* db, int rc, std::string_view sql) {
  int primary = rc & 0xff;
  std::string detail = std::string(sqlite3_errmsg(db)) + " in: " + std::string(sql.substr(0, 200));
  switch (primary) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return Unavailable("the database is busy, please retry", detail);
    case SQLITE_FULL:
      return Unavailable("the database is full", detail);
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
    case SQLITE_NOMEM:
      return Unavailable("the database is not available", detail);
    case SQLITE_CONSTRAINT:
      if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY) {
        return {ErrorCode::kAlreadyExists, "already exists", detail};
      }
      return Internal("constraint violated: " + detail);
    default:
      return Internal(detail);
  }
}

class Connection {
 public:
  ~Connection() {
    for (auto& [sql, stmt] : statements_) sqlite3_finalize(stmt);
    if (db_ != nullptr) sqlite3_close_v2(db_);
  }

  static Result<std::unique_ptr<Connection>> Open(const DatabaseOptions& options) {
    auto conn = std::make_unique<Connection>();
    // On disk, the main database is an empty file in the data directory: it
    // holds no table, but SQLite commits a transaction over several attached
    // files atomically only when the main database is a file (it writes the
    // super-journal that ties the segments' journals together beside it).
    std::string main =
        options.in_memory ? std::string(":memory:") : (std::filesystem::path(options.data_dir) / "main.db").string();
    int rc = sqlite3_open_v2(main.c_str(), &conn->db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                             nullptr);
    if (rc != SQLITE_OK) return Unavailable("cannot open SQLite", sqlite3_errstr(rc));
    sqlite3_extended_result_codes(conn->db_, 1);
    conn->busy_timeout_us_ = static_cast<int64_t>(options.busy_timeout_ms) * 1000;
    sqlite3_busy_handler(conn->db_, &Connection::WaitWhileBusy, conn.get());
    PW_RETURN_IF_ERROR(conn->Run("PRAGMA foreign_keys = ON"));
    // The main database never changes: no journal, so that it does not count
    // as one more file of every transaction.
    if (!options.in_memory) PW_RETURN_IF_ERROR(conn->Run("PRAGMA main.journal_mode = OFF"));
    for (Segment segment : options.segments) {
      std::string name(SegmentName(segment));
      std::string file = options.in_memory ? std::string(":memory:")
                                           : (std::filesystem::path(options.data_dir) / (name + ".db")).string();
      std::string attach = "ATTACH DATABASE '";
      for (char c : file) {  // quote the path as an SQL literal
        attach.push_back(c);
        if (c == '\'') attach.push_back('\'');
      }
      attach += "' AS " + name;
      PW_RETURN_IF_ERROR(conn->Run(attach));
      if (!options.in_memory) {
        // A rollback journal, not WAL: only then is a commit over several
        // files atomic (ARCHITECTURE.md §5). TRUNCATE empties the journal
        // instead of deleting it (no directory change per commit) and, unlike
        // PERSIST, leaves no old page, personal data perhaps, behind in it.
        // A file still in WAL mode from an older version is switched here by
        // the first connection that opens it.
        PW_RETURN_IF_ERROR(conn->SetJournalMode(name, "truncate"));
        PW_RETURN_IF_ERROR(conn->Run("PRAGMA " + name + ".synchronous = FULL"));
        // Reads through the OS page cache without a syscall per page, and a
        // larger page cache per connection.
        PW_RETURN_IF_ERROR(conn->Run("PRAGMA " + name + ".mmap_size = 1073741824"));
        PW_RETURN_IF_ERROR(conn->Run("PRAGMA " + name + ".cache_size = -32768"));
      }
    }
    return conn;
  }

  // PRAGMA journal_mode answers the mode in force, which is the old one when
  // it could not be changed (another process holds the file in WAL mode).
  Status SetJournalMode(const std::string& schema, const std::string& mode) {
    std::string sql = "PRAGMA " + schema + ".journal_mode = " + mode;
    PW_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, Prepare(sql));
    std::string in_force;
    int rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) in_force = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
    sqlite3_reset(stmt);
    if (rc != SQLITE_ROW) return MapError(db_, rc, sql);
    if (in_force != mode) {
      return Unavailable("the database " + schema + " is still in use by an older Passwerk; stop it and start again",
                         "journal_mode is " + in_force);
    }
    return Status::Ok();
  }

  Status Run(const std::string& sql) {
    char* error = nullptr;
    int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error);
    if (rc != SQLITE_OK) {
      Status status = MapError(db_, rc, sql);
      sqlite3_free(error);
      return status;
    }
    return Status::Ok();
  }

  Result<sqlite3_stmt*> Prepare(std::string_view sql) {
    auto it = statements_.find(sql);
    if (it != statements_.end()) return it->second;
    std::string translated = TranslateParams(sql);
    sqlite3_stmt* stmt = nullptr;
    int rc = sqlite3_prepare_v3(db_, translated.c_str(), static_cast<int>(translated.size()), SQLITE_PREPARE_PERSISTENT,
                                &stmt, nullptr);
    if (rc != SQLITE_OK) return MapError(db_, rc, sql);
    // Schema-changing statements are not worth caching (migrations run once).
    if (sql.rfind("CREATE", 0) != 0 && sql.rfind("ALTER", 0) != 0 && sql.rfind("DROP", 0) != 0) {
      statements_.emplace(std::string(sql), stmt);
    } else {
      uncached_.push_back(stmt);
    }
    return stmt;
  }

  void FinalizeUncached() {
    for (sqlite3_stmt* stmt : uncached_) sqlite3_finalize(stmt);
    uncached_.clear();
  }

  // Runs one statement; collects rows if `rows` is given.
  Result<int64_t> Step(std::string_view sql, const Params& params, Rows* rows) {
    PW_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, Prepare(sql));
    // Texts and blobs are bound without a copy (SQLITE_STATIC: no allocation
    // per value) and so point into `params`: on every way out the statement is
    // reset and unbound. Placeholders without a value are NULL (as on
    // PostgreSQL); extra values are ignored.
    struct Unbind {
      sqlite3_stmt* stmt;
      ~Unbind() {
        sqlite3_reset(stmt);
        sqlite3_clear_bindings(stmt);
      }
    } unbind{stmt};
    for (size_t i = 0; i < params.size(); ++i) {
      int index = static_cast<int>(i) + 1;
      const Value& v = params[i];
      int rc = SQLITE_OK;
      if (std::holds_alternative<std::monostate>(v)) {
        rc = sqlite3_bind_null(stmt, index);
      } else if (const auto* n = std::get_if<int64_t>(&v)) {
        rc = sqlite3_bind_int64(stmt, index, *n);
      } else if (const auto* d = std::get_if<double>(&v)) {
        rc = sqlite3_bind_double(stmt, index, *d);
      } else if (const auto* s = std::get_if<std::string>(&v)) {
        rc = sqlite3_bind_text(stmt, index, s->data(), static_cast<int>(s->size()), SQLITE_STATIC);
      } else if (const auto* b = std::get_if<Blob>(&v)) {
        rc = sqlite3_bind_blob(stmt, index, b->bytes.data(), static_cast<int>(b->bytes.size()), SQLITE_STATIC);
      }
      if (rc != SQLITE_OK && rc != SQLITE_RANGE) return MapError(db_, rc, sql);
    }
    while (true) {
      int rc = sqlite3_step(stmt);
      if (rc == SQLITE_DONE) break;
      if (rc != SQLITE_ROW) return MapError(db_, rc, sql);
      if (rows == nullptr) continue;
      int columns = sqlite3_column_count(stmt);
      std::vector<Value> values;
      values.reserve(static_cast<size_t>(columns));
      for (int c = 0; c < columns; ++c) {
        switch (sqlite3_column_type(stmt, c)) {
          case SQLITE_INTEGER:
            values.emplace_back(static_cast<int64_t>(sqlite3_column_int64(stmt, c)));
            break;
          case SQLITE_FLOAT:
            values.emplace_back(sqlite3_column_double(stmt, c));
            break;
          case SQLITE_TEXT: {
            const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, c));
            values.emplace_back(std::string(text, static_cast<size_t>(sqlite3_column_bytes(stmt, c))));
            break;
          }
          case SQLITE_BLOB: {
            const auto* data = static_cast<const char*>(sqlite3_column_blob(stmt, c));
            Blob blob;
            if (data != nullptr) blob.bytes.assign(data, static_cast<size_t>(sqlite3_column_bytes(stmt, c)));
            values.emplace_back(std::move(blob));
            break;
          }
          default:
            values.emplace_back(std::monostate{});
            break;
        }
      }
      rows->emplace_back(std::move(values));
    }
    return sqlite3_changes64(db_);
  }

  sqlite3* handle() const { return db_; }

 private:
  // While another connection commits, a reader (or the next writer) waits
  // for the file lock. SQLite's own busy timeout sleeps at least a
  // millisecond at a time, where a commit holds the lock for well under
  // one: wait in short steps first, then in milliseconds, until
  // busy_timeout_ms has passed.
  static int WaitWhileBusy(void* self, int attempt) {
    auto* conn = static_cast<Connection*>(self);
    if (attempt == 0) conn->busy_since_ = std::chrono::steady_clock::now();
    auto waited =
        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - conn->busy_since_);
    if (waited.count() >= conn->busy_timeout_us_) return 0;
    std::this_thread::sleep_for(std::chrono::microseconds(waited.count() < 2000 ? 50 : 1000));
    return 1;
  }

  sqlite3* db_ = nullptr;
  int64_t busy_timeout_us_ = 0;
  std::chrono::steady_clock::time_point busy_since_;
  // Looked up by string_view: finding a cached statement allocates nothing.
  struct SqlHash {
    using is_transparent = void;
    size_t operator()(std::string_view sql) const { return std::hash<std::string_view>{}(sql); }
  };
  std::unordered_map<std::string, sqlite3_stmt*, SqlHash, std::equal_to<>> statements_;
  std::vector<sqlite3_stmt*> uncached_;
};

class SqliteTx final : public Tx {
 public:
  explicit SqliteTx(Connection& conn) : conn_(conn) {}
  Result<Rows> Query(std::string_view sql, const Params& params) override {
    Rows rows;
    auto result = conn_.Step(sql, params, &rows);
    if (!result.ok()) return result.status();
    return rows;
  }
  Result<int64_t> Exec(std::string_view sql, const Params& params) override { return conn_.Step(sql, params, nullptr); }

 private:
  Connection& conn_;
};

// Runs concurrent writes in one transaction (group commit). A commit that
// spans several segment files costs a handful of disk syncs (ARCHITECTURE.md
// §5); a request arriving while one commits queues, and the next leader runs
// every queued body in one transaction, each in its own savepoint, so a body
// that fails is rolled back alone and the others still commit together.
// Writes from threads at idle priority are never grouped.
class SqliteDatabase final : public Database {
 public:
  explicit SqliteDatabase(std::vector<std::unique_ptr<Connection>> pool) : pool_(std::move(pool)) {}

  Engine engine() const override { return Engine::kSqlite; }

  Status Write(const std::function<Status(Tx&)>& body) override {
    PendingWrite me{&body};
    std::unique_lock lock(queue_mutex_);
    if (sched_getscheduler(0) == SCHED_IDLE) {
      // Background work at idle priority (the check import) commits alone
      // and on its own thread: a request's write run by this thread would
      // wait for an idle CPU, and the import run by a request's thread would
      // take CPU time from the partner checks.
      done_cv_.wait(lock, [&] { return !leading_; });
      leading_ = true;
      lock.unlock();
      RunGroup({&me});
      lock.lock();
      leading_ = false;
      done_cv_.notify_all();
      return me.status;
    }
    queue_.push_back(&me);
    while (!me.done) {
      if (leading_) {
        done_cv_.wait(lock);
        continue;
      }
      // Lead: take what is queued (our own write among it, or a turn for
      // the writes ahead of ours), run it as one transaction, report.
      leading_ = true;
      std::vector<PendingWrite*> group;
      while (!queue_.empty() && group.size() < kMaxGroup) {
        group.push_back(queue_.front());
        queue_.pop_front();
      }
      lock.unlock();
      RunGroup(group);
      lock.lock();
      for (PendingWrite* write : group) write->done = true;
      leading_ = false;
      done_cv_.notify_all();
    }
    return me.status;
  }

  Status Read(const std::function<Status(Tx&)>& body) override {
    ConnectionPool<Connection>::Lease conn(pool_);
    Status status = conn->Step("BEGIN", {}, nullptr).status();
    if (status.ok()) {
      SqliteTx tx(*conn);
      status = RunBody(body, tx);
      if (status.ok()) status = conn->Step("COMMIT", {}, nullptr).status();
      if (!status.ok()) (void)conn->Run("ROLLBACK");
    }
    conn->FinalizeUncached();
    return status;
  }

  Status Ping() override {
    return Read([](Tx& tx) -> Status {
      auto rows = tx.Query("SELECT 1");
      return rows.ok() ? Status::Ok() : rows.status();
    });
  }

 private:
  struct PendingWrite {
    const std::function<Status(Tx&)>* body;
    Status status = Status::Ok();
    bool done = false;
  };
  // A bound on how long the first write of a group waits for the last.
  static constexpr size_t kMaxGroup = 64;

  // An exception from a body must not leave a transaction open on a pooled
  // connection (every later write would wait on its lock).
  static Status RunBody(const std::function<Status(Tx&)>& body, Tx& tx) {
    try {
      return body(tx);
    } catch (const std::exception& e) {
      return Internal(std::string("transaction body threw: ") + e.what());
    }
  }

  // Sets every write's status: its own failure, or the commit's outcome.
  void RunGroup(const std::vector<PendingWrite*>& group) {
    size_t next = 0;
    while (next < group.size()) next = RunTransaction(group, next);
  }

  // Runs group[first…] in one transaction; returns where the next
  // transaction starts (group.size() when all ran).
  size_t RunTransaction(const std::vector<PendingWrite*>& group, size_t first) {
    ConnectionPool<Connection>::Lease conn(pool_);
    struct Finalize {
      Connection& conn;
      ~Finalize() { conn.FinalizeUncached(); }
    } finalize{*conn};
    Status begun = conn->Step("BEGIN IMMEDIATE", {}, nullptr).status();
    if (!begun.ok()) {
      for (size_t i = first; i < group.size(); ++i) group[i]->status = begun;
      return group.size();
    }
    SqliteTx tx(*conn);
    bool any_ok = false;
    // A write alone needs no savepoint.
    const bool alone = group.size() - first == 1;
    for (size_t i = first; i < group.size(); ++i) {
      PendingWrite* write = group[i];
      write->status = alone ? Status::Ok() : conn->Step("SAVEPOINT pw_write", {}, nullptr).status();
      if (write->status.ok()) write->status = RunBody(*write->body, tx);
      if (!alone && sqlite3_get_autocommit(conn->handle()) == 0) {
        if (write->status.ok()) {
          write->status = conn->Step("RELEASE pw_write", {}, nullptr).status();
        } else {
          (void)conn->Run("ROLLBACK TO pw_write");
          (void)conn->Run("RELEASE pw_write");
        }
      }
      if (sqlite3_get_autocommit(conn->handle()) != 0) {
        // SQLite rolled the whole transaction back (an I/O error, a full
        // disk): the writes before this one are gone with it and say so;
        // the ones after it have not run and get a transaction of their own.
        Status lost = Unavailable("the database is not available, please retry");
        for (size_t j = first; j < i; ++j) {
          if (group[j]->status.ok()) group[j]->status = lost;
        }
        if (write->status.ok()) write->status = lost;
        return i + 1;
      }
      any_ok = any_ok || write->status.ok();
    }
    Status committed = any_ok ? conn->Step("COMMIT", {}, nullptr).status() : Status::Ok();
    if (!any_ok || !committed.ok()) (void)conn->Run("ROLLBACK");  // also after a failed COMMIT
    if (!committed.ok()) {
      for (size_t i = first; i < group.size(); ++i) {
        if (group[i]->status.ok()) group[i]->status = committed;
      }
    }
    return group.size();
  }

  ConnectionPool<Connection> pool_;
  std::mutex queue_mutex_;
  std::condition_variable done_cv_;
  std::deque<PendingWrite*> queue_;
  bool leading_ = false;
};
}  // namespace

Result<std::unique_ptr<Database>> OpenSqliteDatabase(const DatabaseOptions& options) {
  // SQLite counts every allocation under one process-wide mutex unless told
  // otherwise before its first use; Passwerk never reads those counts. (Once
  // SQLite is in use the call fails harmlessly.)
  static std::once_flag memory_statistics_off;
  std::call_once(memory_statistics_off, [] { sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); });
  if (!options.in_memory) {
    std::error_code ec;
    std::filesystem::create_directories(options.data_dir, ec);
    if (ec) return Unavailable("cannot create the data directory", ec.message());
  }
  // In-memory segments are private to their connection: one connection only.
  int size = options.in_memory ? 1 : (options.pool_size > 0 ? options.pool_size : 4);
  std::vector<std::unique_ptr<Connection>> pool;
  for (int i = 0; i < size; ++i) {
    PW_ASSIGN_OR_RETURN(auto conn, Connection::Open(options));
    pool.push_back(std::move(conn));
  }
  return std::unique_ptr<Database>(std::make_unique<SqliteDatabase>(std::move(pool)));
}

}  // namespace passwerk::storage
