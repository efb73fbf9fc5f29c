// What the raw baselines of scripts/bench share (bench/raw_transactions.cpp,
// bench/raw_registrations.cpp): prepared statements straight through the
// sqlite3 C API or libpq, SQLite opened the way src/storage/sqlite does, the
// flags that pick the database, date helpers and the clocks they report.
#pragma once

#include <errno.h>  // program_invocation_short_name
#include <libpq-fe.h>
#include <sqlite3.h>
#include <sys/resource.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

namespace raw {

[[noreturn]] inline void Die(const std::string& message) {
  std::cerr << program_invocation_short_name << ": " << message << "\n";
  std::exit(1);
}

// `usage`: the lines after "usage: ", each ending in a newline.
[[noreturn]] inline void Usage(const std::string& error, const char* usage) {
  std::cerr << program_invocation_short_name << ": " << error << "\nusage: " << usage;
  std::exit(2);
}

inline int64_t ToInt(const std::string& s) { return std::strtoll(s.c_str(), nullptr, 10); }

// ---- Parameters and the two engines ------------------------------------------

// A statement parameter: NULL, an integer, text or bytes (a BLOB / bytea).
struct Param {
  enum class Kind { kNull, kInt, kText, kBlob } kind = Kind::kNull;
  int64_t number = 0;
  std::string text;  // the bytes of kText and kBlob
  Param() = default;
  Param(int64_t n) : kind(Kind::kInt), number(n) {}
  Param(int n) : kind(Kind::kInt), number(n) {}
  Param(std::string s) : kind(Kind::kText), text(std::move(s)) {}
  Param(const char* s) : kind(Kind::kText), text(s) {}
  static Param Blob(std::string bytes) {
    Param p(std::move(bytes));
    p.kind = Kind::kBlob;
    return p;
  }
};
inline const Param kNull;

using Row = std::vector<std::string>;  // text of each column ("" for NULL)

class Engine {
 public:
  virtual ~Engine() = default;
  virtual const char* name() const = 0;
  // Prepares `sql` (numbered $n parameters) once; returns its handle.
  virtual int Prepare(const std::string& sql) = 0;
  // Runs a prepared statement; returns its rows.
  virtual std::vector<Row> Run(int statement, const std::vector<Param>& params) = 0;
  // Rows the last Run inserted, updated or deleted.
  virtual int64_t Changes() const = 0;
  virtual void Begin() = 0;
  virtual void Commit() = 0;

  // The first column of the first row of `sql` ("0" for none or NULL): a count.
  std::string Scalar(const std::string& sql, const std::vector<Param>& params = {}) {
    auto rows = Run(Prepare(sql), params);
    return rows.empty() || rows[0][0].empty() ? std::string("0") : rows[0][0];
  }
};

// How SQLite journals the segment files.
enum class Journal {
  // Passwerk's setup: an on-disk, empty main database `<data_dir>/main.db`
  // (journal_mode OFF) and a rollback journal on every segment, so that a
  // transaction over several segments commits atomically through SQLite's
  // super-journal.
  kRollback,
  // The setup before it: an in-memory main database, every segment in WAL
  // (each file commits on its own). `--journal wal`, to measure the old
  // configuration in the same run.
  kWal,
  // Counting only: an in-memory main database and the files as they are.
  kAsIs,
};

inline const char* JournalName(Journal journal) {
  return journal == Journal::kRollback ? "rollback" : journal == Journal::kWal ? "wal" : "as-is";
}

class SqliteEngine final : public Engine {
 public:
  SqliteEngine(const std::string& data_dir, Journal journal) {
    if (data_dir.find('\'') != std::string::npos) Die("the data directory must not contain a quote");
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);  // as src/storage/sqlite does
    const std::string main_file = journal == Journal::kRollback ? data_dir + "/main.db" : ":memory:";
    if (sqlite3_open_v2(main_file.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                        nullptr) != SQLITE_OK) {
      Die("cannot open SQLite (" + main_file + ")");
    }
    sqlite3_extended_result_codes(db_, 1);
    sqlite3_busy_timeout(db_, 5000);
    Exec("PRAGMA foreign_keys = ON");
    if (journal == Journal::kRollback) Exec("PRAGMA main.journal_mode = OFF");
    // The segments Passwerk's guest-card database attaches (src/cli/app.cpp).
    for (const char* segment :
         {"core", "audit", "spa_tax", "marketing", "card_link", "card_usage", "logistics", "history", "settlement"}) {
      const std::string s(segment);
      Exec("ATTACH DATABASE '" + data_dir + "/" + s + ".db' AS " + s);
      if (journal == Journal::kAsIs) continue;
      SetJournalMode(s, journal == Journal::kWal ? "wal" : "truncate");
      Exec("PRAGMA " + s + ".synchronous = FULL");
      Exec("PRAGMA " + s + ".mmap_size = 1073741824");
      Exec("PRAGMA " + s + ".cache_size = -32768");
    }
    begin_ = Prepare("BEGIN IMMEDIATE");
    commit_ = Prepare("COMMIT");
  }
  ~SqliteEngine() override {
    for (sqlite3_stmt* s : statements_) sqlite3_finalize(s);
    sqlite3_close_v2(db_);
  }

  const char* name() const override { return "sqlite"; }

  int Prepare(const std::string& sql) override {
    std::string translated = sql;  // $1 → ?1, as src/storage/sqlite does
    for (size_t i = 0; i + 1 < translated.size(); ++i) {
      if (translated[i] == '$' && translated[i + 1] >= '0' && translated[i + 1] <= '9') translated[i] = '?';
    }
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v3(db_, translated.c_str(), static_cast<int>(translated.size()), SQLITE_PREPARE_PERSISTENT,
                           &stmt, nullptr) != SQLITE_OK) {
      Die(std::string("prepare: ") + sqlite3_errmsg(db_) + " in: " + sql);
    }
    statements_.push_back(stmt);
    return static_cast<int>(statements_.size()) - 1;
  }

  std::vector<Row> Run(int statement, const std::vector<Param>& params) override {
    sqlite3_stmt* stmt = statements_[static_cast<size_t>(statement)];
    for (size_t i = 0; i < params.size(); ++i) {
      const int index = static_cast<int>(i) + 1;
      const Param& p = params[i];
      const int size = static_cast<int>(p.text.size());
      int rc = SQLITE_OK;
      switch (p.kind) {
        case Param::Kind::kInt:
          rc = sqlite3_bind_int64(stmt, index, p.number);
          break;
        case Param::Kind::kText:
          rc = sqlite3_bind_text(stmt, index, p.text.data(), size, SQLITE_STATIC);
          break;
        case Param::Kind::kBlob:
          rc = sqlite3_bind_blob(stmt, index, p.text.data(), size, SQLITE_STATIC);
          break;
        case Param::Kind::kNull:
          rc = sqlite3_bind_null(stmt, index);
          break;
      }
      if (rc != SQLITE_OK) Die(std::string("bind: ") + sqlite3_errmsg(db_));
    }
    std::vector<Row> rows;
    while (true) {
      int rc = sqlite3_step(stmt);
      if (rc == SQLITE_DONE) break;
      if (rc != SQLITE_ROW) Die(std::string("step: ") + sqlite3_errmsg(db_) + " in: " + sqlite3_sql(stmt));
      Row row;
      for (int c = 0; c < sqlite3_column_count(stmt); ++c) {
        const unsigned char* text = sqlite3_column_text(stmt, c);
        row.emplace_back(text == nullptr ? "" : reinterpret_cast<const char*>(text));
      }
      rows.push_back(std::move(row));
    }
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    return rows;
  }

  int64_t Changes() const override { return sqlite3_changes64(db_); }
  void Begin() override { Run(begin_, {}); }
  void Commit() override { Run(commit_, {}); }

 private:
  void Exec(const std::string& sql) {
    char* error = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
      std::string message = error != nullptr ? error : "?";
      sqlite3_free(error);
      Die(message + " in: " + sql);
    }
  }

  // PRAGMA journal_mode answers the mode in force: the old one when it could
  // not be changed (another process holds the file in WAL mode).
  void SetJournalMode(const std::string& schema, const std::string& mode) {
    const std::string sql = "PRAGMA " + schema + ".journal_mode = " + mode;
    sqlite3_stmt* stmt = nullptr;
    std::string in_force;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK && sqlite3_step(stmt) == SQLITE_ROW) {
      in_force = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
    }
    sqlite3_finalize(stmt);
    if (in_force != mode) Die(sql + " left the journal mode at '" + in_force + "': is the database still in use?");
  }

  sqlite3* db_ = nullptr;
  std::vector<sqlite3_stmt*> statements_;
  int begin_ = -1, commit_ = -1;
};

class PostgresEngine final : public Engine {
 public:
  explicit PostgresEngine(const std::string& url) : conn_(PQconnectdb(url.c_str())) {
    if (PQstatus(conn_) != CONNECTION_OK) Die(std::string("cannot connect: ") + PQerrorMessage(conn_));
    Simple("SET client_encoding = 'UTF8'");
  }
  ~PostgresEngine() override { PQfinish(conn_); }

  const char* name() const override { return "postgres"; }

  int Prepare(const std::string& sql) override {
    std::string name = std::to_string(counts_.size());
    name.insert(0, 1, 's');  // not "s" + …: GCC 12 warns (-Wrestrict) on that falsely
    PGresult* r = PQprepare(conn_, name.c_str(), sql.c_str(), 0, nullptr);
    if (PQresultStatus(r) != PGRES_COMMAND_OK) Die(std::string("prepare: ") + PQerrorMessage(conn_) + " in: " + sql);
    PQclear(r);
    PGresult* d = PQdescribePrepared(conn_, name.c_str());
    counts_.push_back(PQnparams(d));
    PQclear(d);
    names_.push_back(name);
    return static_cast<int>(names_.size()) - 1;
  }

  std::vector<Row> Run(int statement, const std::vector<Param>& params) override {
    size_t n = static_cast<size_t>(counts_[static_cast<size_t>(statement)]);
    converted_.resize(n);
    values_.assign(n, nullptr);
    lengths_.assign(n, 0);
    formats_.assign(n, 0);
    for (size_t i = 0; i < n && i < params.size(); ++i) {
      const Param& p = params[i];
      if (p.kind == Param::Kind::kInt) {
        converted_[i] = std::to_string(p.number);
        values_[i] = converted_[i].c_str();
      } else if (p.kind == Param::Kind::kText) {
        values_[i] = p.text.c_str();
      } else if (p.kind == Param::Kind::kBlob) {  // binary, as src/storage/postgres sends bytes
        values_[i] = p.text.data();
        lengths_[i] = static_cast<int>(p.text.size());
        formats_[i] = 1;
      }
    }
    PGresult* r = PQexecPrepared(conn_, names_[static_cast<size_t>(statement)].c_str(), static_cast<int>(n),
                                 values_.data(), lengths_.data(), formats_.data(), 0);
    ExecStatusType status = PQresultStatus(r);
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) Die(std::string("exec: ") + PQerrorMessage(conn_));
    changes_ = ToInt(PQcmdTuples(r));
    std::vector<Row> rows;
    for (int t = 0; t < PQntuples(r); ++t) {
      Row row;
      for (int c = 0; c < PQnfields(r); ++c) row.emplace_back(PQgetvalue(r, t, c));
      rows.push_back(std::move(row));
    }
    PQclear(r);
    return rows;
  }

  int64_t Changes() const override { return changes_; }
  void Begin() override { Simple("BEGIN"); }
  void Commit() override { Simple("COMMIT"); }

 private:
  void Simple(const char* sql) {
    PGresult* r = PQexec(conn_, sql);
    if (PQresultStatus(r) != PGRES_COMMAND_OK) Die(std::string(sql) + ": " + PQerrorMessage(conn_));
    PQclear(r);
  }

  PGconn* conn_;
  std::vector<std::string> names_;
  std::vector<int> counts_;
  std::vector<std::string> converted_;
  std::vector<const char*> values_;
  std::vector<int> lengths_, formats_;
  int64_t changes_ = 0;
};

// ---- The flags that pick the database ------------------------------------------

// --data DIR | --database-url URL, and --journal rollback|wal (SQLite only).
struct Target {
  std::string data_dir, database_url;
  Journal journal = Journal::kRollback;

  // Takes `flag value` if it is one of the above; false for any other flag.
  bool Parse(const std::string& flag, const std::string& value) {
    if (flag == "--data") {
      data_dir = value;
    } else if (flag == "--database-url") {
      database_url = value;
    } else if (flag == "--journal") {
      if (value == "wal") {
        journal = Journal::kWal;
      } else if (value == "rollback" || value == "truncate") {
        journal = Journal::kRollback;
      } else {
        Die("--journal is rollback (the default) or wal");
      }
    } else {
      return false;
    }
    return true;
  }
  bool valid() const { return data_dir.empty() != database_url.empty(); }

  // `counting`: the SQLite files are read as they are, their journal untouched.
  std::unique_ptr<Engine> Open(bool counting) const {
    if (!database_url.empty()) return std::make_unique<PostgresEngine>(database_url);
    return std::make_unique<SqliteEngine>(data_dir, counting ? Journal::kAsIs : journal);
  }
  // " journal=…" for the result line on SQLite, "" on PostgreSQL.
  std::string JournalField() const {
    return database_url.empty() ? std::string(" journal=") + JournalName(journal) : std::string();
  }
};

// The flags of a raw tool: the target, --count, and the tool's own.
struct Options {
  Target target;
  bool count = false;
};

// Parses argv; `take(flag, value)` takes the tool's own flags and returns
// false for an unknown one. Every flag but --count has a value.
template <typename TakeFlag>
Options ParseFlags(int argc, char** argv, const char* usage, TakeFlag take) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--count") {
      options.count = true;
      continue;
    }
    if (i + 1 >= argc) Usage("missing value for " + flag, usage);
    const std::string value = argv[++i];
    if (!options.target.Parse(flag, value) && !take(flag, value)) Usage("unknown flag " + flag, usage);
  }
  if (!options.target.valid()) Usage("give --data or --database-url", usage);
  return options;
}

// ---- The audit trail ------------------------------------------------------------

// audit::Append's statements, word for word: the head row takes the next
// number, the entry is inserted, the head takes its hash (a stand-in: a
// counter, where Passwerk hashes the entry with SHA-256).
class AuditTrail {
 public:
  static constexpr int64_t kRows = 2, kStatements = 3;  // per entry

  explicit AuditTrail(Engine& db)
      : db_(db),
        head_(db.Prepare("UPDATE audit.head SET seq = seq + 1 WHERE id = 1 RETURNING seq, entry_hash")),
        entry_(db.Prepare("INSERT INTO audit.entries (seq, at, actor, action, object, detail, request_id, "
                          "prev_hash, entry_hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")),
        hash_(db.Prepare("UPDATE audit.head SET entry_hash = $1 WHERE id = 1")) {}

  void Append(int64_t at, const std::string& actor, const std::string& action, const std::string& object,
              const std::string& detail, const std::string& request_id) {
    auto head = db_.Run(head_, {});
    char hash[72];
    std::snprintf(hash, sizeof hash, "%064llx", static_cast<unsigned long long>(++appended_));
    db_.Run(entry_, {ToInt(head[0][0]), at, actor, action, object, detail, request_id, head[0][1], std::string(hash)});
    db_.Run(hash_, {std::string(hash)});
  }

 private:
  Engine& db_;
  int head_, entry_, hash_;
  int64_t appended_ = 0;
};

// ---- Dates -----------------------------------------------------------------------

inline int64_t DaysFromCivil(int y, unsigned m, unsigned d) {  // H. Hinnant's algorithm
  y -= m <= 2;
  const int era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return int64_t{era} * 146097 + static_cast<int64_t>(doe) - 719468;
}

// "YYYY-MM-DD" of a day number (days since 1970-01-01).
inline std::string CivilFromDays(int64_t z) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  char out[40];
  std::snprintf(out, sizeof out, "%04d-%02u-%02u", static_cast<int>(y + (m <= 2)), m, d);
  return out;
}

inline int64_t DaysOf(const std::string& iso) {
  int y = 0;
  unsigned m = 0, d = 0;
  if (std::sscanf(iso.c_str(), "%d-%u-%u", &y, &m, &d) != 3) Die("a date must be YYYY-MM-DD: " + iso);
  return DaysFromCivil(y, m, d);
}

inline std::string AddDays(const std::string& iso, int64_t days) { return CivilFromDays(DaysOf(iso) + days); }

// ---- What the result line reports ------------------------------------------------

// CPU seconds (user + system) this process has used so far.
inline double CpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

// Seconds this (single-threaded) process was ready to run but waited for a CPU.
inline double RunqueueSeconds() {
  std::FILE* f = std::fopen("/proc/self/schedstat", "r");
  if (f == nullptr) return 0;
  unsigned long long on_cpu = 0, waiting = 0;
  int n = std::fscanf(f, "%llu %llu", &on_cpu, &waiting);
  std::fclose(f);
  return n == 2 ? static_cast<double>(waiting) / 1e9 : 0;
}

// Wall, CPU and run-queue time since it was made: started just before the
// clock of a baseline starts.
class Stopwatch {
 public:
  double seconds() const { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count(); }
  double cpu_seconds() const { return CpuSeconds() - cpu0_; }
  double runqueue_seconds() const { return RunqueueSeconds() - queued0_; }

 private:
  double cpu0_ = CpuSeconds();
  double queued0_ = RunqueueSeconds();
  std::chrono::steady_clock::time_point t0_ = std::chrono::steady_clock::now();
};

}  // namespace raw
