// SQLite engine: WAL, foreign keys, busy timeout, prepared-statement cache.
// Each pooled connection opens an in-memory main database and attaches one
// file per segment (`<data_dir>/<segment>.db`) under the segment's name, so
// the shared SQL (`core.users`) runs unchanged.
//
// Checkpoints (copying the WAL back into the segment files) run on a
// background thread at idle priority instead of inside the committing
// transaction, so that a request never waits for one; the writer checkpoints
// itself only when the WAL has grown past a backstop (WalCheckpointer).
#include "storage/sqlite/sqlite_database.h"

#include <sqlite3.h>

#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <set>
#include <thread>
#include <unordered_map>

#include "core/idle_priority.h"
#include "core/log.h"
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
    int rc = sqlite3_open_v2(":memory:", &conn->db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                             nullptr);
    if (rc != SQLITE_OK) return Unavailable("cannot open SQLite", sqlite3_errstr(rc));
    sqlite3_extended_result_codes(conn->db_, 1);
    sqlite3_busy_timeout(conn->db_, options.busy_timeout_ms);
    PW_RETURN_IF_ERROR(conn->Run("PRAGMA foreign_keys = ON"));
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
        PW_RETURN_IF_ERROR(conn->Run("PRAGMA " + name + ".journal_mode = WAL"));
        PW_RETURN_IF_ERROR(conn->Run("PRAGMA " + name + ".synchronous = FULL"));
        // Reads through the OS page cache without a syscall per page (the
        // partner check reads random cards out of millions), and a larger
        // page cache per connection.
        PW_RETURN_IF_ERROR(conn->Run("PRAGMA " + name + ".mmap_size = 1073741824"));
        PW_RETURN_IF_ERROR(conn->Run("PRAGMA " + name + ".cache_size = -32768"));
      }
    }
    return conn;
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
  sqlite3* db_ = nullptr;
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

// Copies segment WALs back into their files on its own connection and thread.
// Every pooled connection reports its WAL size after each commit (SQLite's
// WAL hook, which replaces the built-in autocheckpoint): from
// `background_pages` on, the segment is queued for this thread, which runs at
// SCHED_IDLE, so it takes only CPU time no request wants; from `inline_pages`
// on (the thread has been starved that long), the committing connection
// checkpoints itself, as SQLite's autocheckpoint would, which bounds the WAL.
class WalCheckpointer {
 public:
  WalCheckpointer(std::unique_ptr<Connection> conn, int background_pages, int inline_pages)
      : conn_(std::move(conn)), background_pages_(background_pages), inline_pages_(inline_pages) {
    thread_ = std::thread([this] { Loop(); });
  }
  ~WalCheckpointer() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    LeaveIdlePriority(thread_);
    cv_.notify_one();
    thread_.join();
  }
  WalCheckpointer(const WalCheckpointer&) = delete;
  WalCheckpointer& operator=(const WalCheckpointer&) = delete;

  // Installs the hook on a pooled connection (which must not outlive this).
  void Watch(Connection& conn) { sqlite3_wal_hook(conn.handle(), &WalCheckpointer::Hook, this); }

 private:
  static int Hook(void* self, sqlite3* db, const char* schema, int pages) {
    auto* checkpointer = static_cast<WalCheckpointer*>(self);
    if (pages >= checkpointer->inline_pages_) {
      int rc = sqlite3_wal_checkpoint_v2(db, schema, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
      if (rc != SQLITE_OK && rc != SQLITE_BUSY) {
        log::Warn("WAL checkpoint failed", {{"segment", schema}, {"error", sqlite3_errstr(rc)}});
      }
    } else if (pages >= checkpointer->background_pages_) {
      checkpointer->Request(schema);
    }
    return SQLITE_OK;
  }

  void Request(const char* schema) {
    {
      std::lock_guard lock(mutex_);
      if (!pending_.emplace(schema).second) return;  // already queued
    }
    cv_.notify_one();
  }

  void Loop() {
    // Idle priority: this thread runs when no request needs the CPU.
    EnterIdlePriority();
    std::unique_lock lock(mutex_);
    while (true) {
      cv_.wait(lock, [&] { return stopping_ || !pending_.empty(); });
      if (stopping_) return;
      std::set<std::string> schemas;
      schemas.swap(pending_);
      lock.unlock();
      for (const std::string& schema : schemas) {
        int rc =
            sqlite3_wal_checkpoint_v2(conn_->handle(), schema.c_str(), SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
        if (rc != SQLITE_OK && rc != SQLITE_BUSY) {
          log::Warn("WAL checkpoint failed", {{"segment", schema}, {"error", sqlite3_errstr(rc)}});
        }
      }
      lock.lock();
    }
  }

  std::unique_ptr<Connection> conn_;
  const int background_pages_;
  const int inline_pages_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::set<std::string> pending_;
  bool stopping_ = false;
  std::thread thread_;
};

class SqliteDatabase final : public Database {
 public:
  SqliteDatabase(std::vector<std::unique_ptr<Connection>> pool, std::unique_ptr<WalCheckpointer> checkpointer)
      : checkpointer_(std::move(checkpointer)), pool_(std::move(pool)) {
    if (checkpointer_) {
      for (const auto& conn : pool_.connections()) checkpointer_->Watch(*conn);
    }
  }

  Engine engine() const override { return Engine::kSqlite; }

  Status Write(const std::function<Status(Tx&)>& body) override {
    // One writer at a time inside the process; other processes wait on the busy timeout.
    std::lock_guard write_lock(write_mutex_);
    return Run(body, "BEGIN IMMEDIATE");
  }

  Status Read(const std::function<Status(Tx&)>& body) override { return Run(body, "BEGIN"); }

  Status Ping() override {
    return Read([](Tx& tx) -> Status {
      auto rows = tx.Query("SELECT 1");
      return rows.ok() ? Status::Ok() : rows.status();
    });
  }

 private:
  Status Run(const std::function<Status(Tx&)>& body, const char* begin) {
    ConnectionPool<Connection>::Lease conn(pool_);
    // Prepared once per connection: these run for every transaction.
    Status status = conn->Step(begin, {}, nullptr).status();
    if (status.ok()) {
      SqliteTx tx(*conn);
      // An exception from the body must not leave the transaction open on a
      // pooled connection (every later write would wait on its lock).
      try {
        status = body(tx);
      } catch (const std::exception& e) {
        status = Internal(std::string("transaction body threw: ") + e.what());
      }
      if (status.ok()) {
        status = conn->Step("COMMIT", {}, nullptr).status();
      }
      if (!status.ok()) (void)conn->Run("ROLLBACK");  // also after a failed COMMIT
    }
    conn->FinalizeUncached();
    return status;
  }

  // Declared first, so destroyed last: the pooled connections' hooks point to it.
  std::unique_ptr<WalCheckpointer> checkpointer_;
  ConnectionPool<Connection> pool_;
  std::mutex write_mutex_;
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
  std::unique_ptr<WalCheckpointer> checkpointer;
  if (!options.in_memory) {
    PW_ASSIGN_OR_RETURN(auto conn, Connection::Open(options));
    checkpointer = std::make_unique<WalCheckpointer>(std::move(conn), options.wal_checkpoint_pages,
                                                     options.wal_inline_checkpoint_pages);
  }
  return std::unique_ptr<Database>(std::make_unique<SqliteDatabase>(std::move(pool), std::move(checkpointer)));
}

}  // namespace passwerk::storage
