// Baseline for scripts/bench terminals: the rows that uploads of terminal
// transactions write, inserted "without Passwerk" — straight through the
// sqlite3 C API or libpq, prepared statements, one database transaction per
// batch of 1000 — so that the benchmark can report Passwerk's rate as a ratio
// of this one, measured in the same run.
//
//   passwerk_raw_transactions (--data DIR | --database-url URL) --day YYYY-MM-DD
//       [--transactions 200000] [--batch 1000] [--cards 20000] [--seed 1] [--tid T-BAD-01]
//   passwerk_raw_transactions (--data DIR | --database-url URL) --count [--tid T-BAD-01]
//
// Run `passwerk demo` on a fresh data directory / database first: the schema
// is then Passwerk's own, and the ids of terminal, provider, packages and
// services are read from `core` before the clock starts. SQLite is opened like
// src/storage/sqlite does it: an in-memory main database with every segment of
// the guest-card procedure attached, WAL, synchronous = FULL, the same mmap and
// cache sizes, foreign keys on, no memory statistics.
//
// The mix is bench/terminals.mjs's, drawn from the same generator (mulberry32,
// same seed, same draws in the same order): 40 % purchases of package 9001
// ("3 aus 7") or 9002 (sauna ticket) with one sale line, paid cash or by card;
// 60 % acceptances — 201/202 from a 9001 the card holds, 202 from an unused
// 9002, or 301 from the base package 9000. Per transaction the statements of
// Ledger::Apply (src/terminals/transactions.cpp) for a card in service and no
// conflict:
//   purchase                settlement.transactions, settlement.sale_lines,
//                           card_usage.transactions, card_usage.holdings (INSERT … RETURNING id)
//   acceptance, 9001/9002   settlement.transactions, UPDATE card_usage.holdings, card_usage.transactions
//   acceptance, 9000        settlement.transactions, card_usage.transactions
// and, on the first transaction of a card, its first use (UPDATE card_usage.cycles,
// UPDATE logistics.cards — the rows are inserted before the clock starts, one
// cycle and one card per card of the mix), and per batch the audit entry of the card_link access (UPDATE audit.head …
// RETURNING, INSERT audit.entries, UPDATE audit.head; the hash is a stand-in).
// Not done here, because they are reads: the duplicate check, the catalogue,
// card_link / logistics / cycles lookups and the holdings a card has.
//
// --count prints what a database holds for the terminal (to compare
// Passwerk's rows with these).
//
// Prints one line: raw engine=… transactions=… purchases=… acceptances=… seconds=…
// tx_per_s=… rows=… rows_per_s=… statements=… cpu_s=… tx_per_cpu_s=… (the CPU
// time of this process: all of the work on SQLite, the client side on PostgreSQL)
// runqueue_wait_s=… (time it was ready to run but other work held the CPU).
#include <libpq-fe.h>
#include <sqlite3.h>
#include <sys/resource.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <deque>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace {

[[noreturn]] void Die(const std::string& message) {
  std::cerr << "passwerk_raw_transactions: " << message << "\n";
  std::exit(1);
}

[[noreturn]] void Usage(const std::string& error) {
  std::cerr << "passwerk_raw_transactions: " << error << "\n"
            << "usage: passwerk_raw_transactions (--data DIR | --database-url URL) --day YYYY-MM-DD\n"
               "           [--transactions 200000] [--batch 1000] [--cards 20000] [--seed 1] [--tid T-BAD-01]\n"
               "       passwerk_raw_transactions (--data DIR | --database-url URL) --count [--tid T-BAD-01]\n";
  std::exit(2);
}

// ---- Parameters and the two engines ------------------------------------------

// A statement parameter: NULL, an integer or text.
struct Param {
  enum class Kind { kNull, kInt, kText } kind = Kind::kNull;
  int64_t number = 0;
  std::string text;
  Param() = default;
  Param(int64_t n) : kind(Kind::kInt), number(n) {}
  Param(int n) : kind(Kind::kInt), number(n) {}
  Param(std::string s) : kind(Kind::kText), text(std::move(s)) {}
  Param(const char* s) : kind(Kind::kText), text(s) {}
};
const Param kNull;

using Row = std::vector<std::string>;  // text of each column ("" for NULL)

class Engine {
 public:
  virtual ~Engine() = default;
  virtual const char* name() const = 0;
  // Prepares `sql` (numbered $n parameters) once; returns its handle.
  virtual int Prepare(const std::string& sql) = 0;
  // Runs a prepared statement; returns its rows.
  virtual std::vector<Row> Run(int statement, const std::vector<Param>& params) = 0;
  virtual void Begin() = 0;
  virtual void Commit() = 0;
};

class SqliteEngine final : public Engine {
 public:
  explicit SqliteEngine(const std::string& data_dir) {
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);  // as src/storage/sqlite does
    if (sqlite3_open_v2(":memory:", &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr) !=
        SQLITE_OK) {
      Die("cannot open SQLite");
    }
    sqlite3_extended_result_codes(db_, 1);
    sqlite3_busy_timeout(db_, 5000);
    Exec("PRAGMA foreign_keys = ON");
    // The segments Passwerk's guest-card database attaches (src/cli/app.cpp).
    for (const char* segment :
         {"core", "audit", "spa_tax", "marketing", "card_link", "card_usage", "logistics", "history", "settlement"}) {
      std::string file = data_dir + "/" + segment + ".db";
      if (file.find('\'') != std::string::npos) Die("the data directory must not contain a quote");
      Exec("ATTACH DATABASE '" + file + "' AS " + segment);
      std::string s(segment);
      Exec("PRAGMA " + s + ".journal_mode = WAL");
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
      int index = static_cast<int>(i) + 1;
      const Param& p = params[i];
      int rc = p.kind == Param::Kind::kInt ? sqlite3_bind_int64(stmt, index, p.number)
               : p.kind == Param::Kind::kText
                   ? sqlite3_bind_text(stmt, index, p.text.data(), static_cast<int>(p.text.size()), SQLITE_STATIC)
                   : sqlite3_bind_null(stmt, index);
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
    std::string name = "s" + std::to_string(counts_.size());
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
    for (size_t i = 0; i < n && i < params.size(); ++i) {
      const Param& p = params[i];
      if (p.kind == Param::Kind::kInt) {
        converted_[i] = std::to_string(p.number);
        values_[i] = converted_[i].c_str();
      } else if (p.kind == Param::Kind::kText) {
        values_[i] = p.text.c_str();
      }
    }
    PGresult* r = PQexecPrepared(conn_, names_[static_cast<size_t>(statement)].c_str(), static_cast<int>(n),
                                 values_.data(), nullptr, nullptr, 0);
    ExecStatusType status = PQresultStatus(r);
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) Die(std::string("exec: ") + PQerrorMessage(conn_));
    std::vector<Row> rows;
    for (int t = 0; t < PQntuples(r); ++t) {
      Row row;
      for (int c = 0; c < PQnfields(r); ++c) row.emplace_back(PQgetvalue(r, t, c));
      rows.push_back(std::move(row));
    }
    PQclear(r);
    return rows;
  }

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
};

// ---- The mix (the same draws as bench/terminals.mjs) --------------------------

// mulberry32, as in bench/terminals.mjs: the same seed gives the same transactions.
class Random {
 public:
  explicit Random(uint32_t seed) : a_(seed) {}
  double Next() {
    a_ += 0x6D2B79F5u;
    uint32_t t = (a_ ^ (a_ >> 15)) * (a_ | 1u);
    t = (t + (t ^ (t >> 7)) * (t | 61u)) ^ t;
    return static_cast<double>(t ^ (t >> 14)) / 4294967296.0;
  }
  int64_t Below(int64_t n) { return static_cast<int64_t>(Next() * static_cast<double>(n)); }

 private:
  uint32_t a_;
};

int64_t DaysFromCivil(int y, unsigned m, unsigned d) {  // H. Hinnant's algorithm
  y -= m <= 2;
  const int era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return int64_t{era} * 146097 + static_cast<int64_t>(doe) - 719468;
}

std::string CivilFromDays(int64_t z) {
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

std::string AddDays(const std::string& iso, int days) {
  int y = 0;
  unsigned m = 0, d = 0;
  if (std::sscanf(iso.c_str(), "%d-%u-%u", &y, &m, &d) != 3) Die("--day must be YYYY-MM-DD");
  return CivilFromDays(DaysFromCivil(y, m, d) + days);
}

// "HH:MM:SS" of transaction i: 08:00:00 onwards, as bench/terminals.mjs.
std::string TimeOf(int64_t i) {
  int64_t s = 28800 + i % 36000;
  char out[40];
  std::snprintf(out, sizeof out, "%02d:%02d:%02d", static_cast<int>(s / 3600), static_cast<int>(s / 60 % 60),
                static_cast<int>(s % 60));
  return out;
}

struct CardState {
  std::string cycle;
  std::string card_number;
  bool used = false;             // the first use (cycle and logistics) is recorded
  int64_t days_of_holding = -1;  // the first 9001 holding (the one Passwerk's Choose takes)
  int64_t days_of_uses = 0;
  std::deque<int64_t> unused_singles;  // 9002 holdings not used yet, oldest first
};

struct Args {
  std::string data_dir, database_url, day, tid = "T-BAD-01";
  int64_t transactions = 200'000, batch = 1000, cards = 20'000;
  uint32_t seed = 1;
  bool count = false;
};

int64_t ToInt(const std::string& s) { return std::strtoll(s.c_str(), nullptr, 10); }

// Seconds this (single-threaded) process was ready to run but waited for a CPU.
double RunqueueSeconds() {
  std::FILE* f = std::fopen("/proc/self/schedstat", "r");
  if (f == nullptr) return 0;
  unsigned long long on_cpu = 0, waiting = 0;
  int n = std::fscanf(f, "%llu %llu", &on_cpu, &waiting);
  std::fclose(f);
  return n == 2 ? static_cast<double>(waiting) / 1e9 : 0;
}

// CPU seconds (user + system) this process has used so far.
double CpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

void Count(Engine& db, const std::string& tid) {
  auto one = [&](const std::string& sql, const std::vector<Param>& params) {
    auto rows = db.Run(db.Prepare(sql), params);
    return rows.empty() || rows[0][0].empty() ? std::string("0") : rows[0][0];
  };
  std::cout << "count engine=" << db.name()
            << " settlement_transactions=" << one("SELECT COUNT(*) FROM settlement.transactions WHERE tid = $1", {tid})
            << " sale_lines=" << one("SELECT COUNT(*) FROM settlement.sale_lines WHERE tid = $1", {tid})
            << " usage_transactions=" << one("SELECT COUNT(*) FROM card_usage.transactions WHERE tid = $1", {tid})
            << " holdings=" << one("SELECT COUNT(*) FROM card_usage.holdings", {})
            << " holding_uses=" << one("SELECT SUM(uses) FROM card_usage.holdings", {})
            << " misuse_log=" << one("SELECT COUNT(*) FROM logistics.misuse_log", {}) << "\n";
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i];
    if (flag == "--count") {
      a.count = true;
      continue;
    }
    if (i + 1 >= argc) Usage("missing value for " + flag);
    std::string value = argv[++i];
    if (flag == "--data")
      a.data_dir = value;
    else if (flag == "--database-url")
      a.database_url = value;
    else if (flag == "--day")
      a.day = value;
    else if (flag == "--tid")
      a.tid = value;
    else if (flag == "--transactions")
      a.transactions = ToInt(value);
    else if (flag == "--batch")
      a.batch = ToInt(value);
    else if (flag == "--cards")
      a.cards = ToInt(value);
    else if (flag == "--seed")
      a.seed = static_cast<uint32_t>(ToInt(value));
    else
      Usage("unknown flag " + flag);
  }
  if (a.data_dir.empty() == a.database_url.empty()) Usage("give --data or --database-url");
  std::unique_ptr<Engine> db;
  if (!a.database_url.empty()) {
    db = std::make_unique<PostgresEngine>(a.database_url);
  } else {
    db = std::make_unique<SqliteEngine>(a.data_dir);
  }
  if (a.count) {
    Count(*db, a.tid);
    return 0;
  }
  if (a.day.size() != 10 || a.transactions < 1 || a.batch < 1 || a.cards < 1) Usage("bad arguments");

  // Ids as the server has them, read before the clock starts.
  auto terminal = db->Run(db->Prepare("SELECT t.provider_id, p.municipality_id FROM core.terminals t JOIN "
                                      "core.providers p ON p.id = t.provider_id WHERE t.tid = $1"),
                          {a.tid});
  if (terminal.empty()) Die("no terminal " + a.tid + ": run `passwerk demo` on this data first");
  const int64_t provider_id = ToInt(terminal[0][0]);
  const int64_t municipality_id = ToInt(terminal[0][1]);
  std::map<std::string, int64_t> package_id, service_id;
  for (const Row& r : db->Run(db->Prepare("SELECT package_number, id FROM core.packages WHERE municipality_id = $1"),
                              {municipality_id})) {
    package_id[r[0]] = ToInt(r[1]);
  }
  for (const Row& r : db->Run(db->Prepare("SELECT service_number, id FROM core.services WHERE municipality_id = $1"),
                              {municipality_id})) {
    service_id[r[0]] = ToInt(r[1]);
  }
  for (const char* p : {"9000", "9001", "9002"}) {
    if (!package_id.count(p)) Die(std::string("no package ") + p + ": run `passwerk demo` on this data first");
  }
  for (const char* s : {"201", "202", "301"}) {
    if (!service_id.count(s)) Die(std::string("no service ") + s + ": run `passwerk demo` on this data first");
  }

  // The SQL of Ledger::Apply and audit::Append, word for word.
  const int insert_transaction = db->Prepare(
      "INSERT INTO settlement.transactions (tid, booking_number, municipality_id, provider_id, operator, "
      "kind, occurred_at, occurred_on, received_at, package_id, service_id, payment_method, "
      "payment_cents) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) "
      "ON CONFLICT (tid, booking_number) DO NOTHING");
  const int insert_sale_line = db->Prepare(
      "INSERT INTO settlement.sale_lines (tid, booking_number, position, "
      "package_id, price_cents, valid_from, valid_to, written) VALUES ($1, $2, $3, "
      "$4, $5, $6, $7, $8)");
  const int insert_usage = db->Prepare(
      "INSERT INTO card_usage.transactions (cycle_id, kind, occurred_at, tid, package_id, service_id, "
      "price_cents, valid_from, valid_to, written) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)");
  const int insert_holding = db->Prepare(
      "INSERT INTO card_usage.holdings (cycle_id, package_id, state, "
      "valid_from, valid_to, points_left, used_days, uses) VALUES ($1, $2, "
      "'active', $3, $4, $5, $6, $7) RETURNING id");
  const int use_holding =
      db->Prepare("UPDATE card_usage.holdings SET points_left = $1, used_days = $2, uses = $3 WHERE id = $4");
  const int audit_head = db->Prepare("UPDATE audit.head SET seq = seq + 1 WHERE id = 1 RETURNING seq, entry_hash");
  const int audit_entry = db->Prepare(
      "INSERT INTO audit.entries (seq, at, actor, action, object, detail, request_id, prev_hash, entry_hash) "
      "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)");
  const int audit_hash = db->Prepare("UPDATE audit.head SET entry_hash = $1 WHERE id = 1");

  // Cycle ids look like Passwerk's (32 random hex digits), so that the indexes
  // by cycle_id see inserts spread the same way.
  std::vector<CardState> cards(static_cast<size_t>(a.cards));
  uint64_t mix = a.seed;
  auto splitmix = [&mix] {
    uint64_t z = (mix += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return static_cast<unsigned long long>(z ^ (z >> 31));
  };
  // The cycles and logistics rows the first uses update, as registrations leave them.
  const int insert_cycle = db->Prepare(
      "INSERT INTO card_usage.cycles (cycle_id, registration_ref, card_type, gender, age_band, postal_code, origin, "
      "spa_tax_cents, arrival, departure) VALUES ($1, 'raw', '1.0', 'f', '30-39', '24103', 'DE', 300, $2, $3) "
      "ON CONFLICT (cycle_id) DO NOTHING");
  const int insert_card = db->Prepare(
      "INSERT INTO logistics.cards (card_number, circulation_counter, card_type, municipality_id, part_number, "
      "issuing_office, status, in_service_on, departure_on, updated_on) VALUES ($1, 1, '1.0', $2, '00', '4711', "
      "'in_service', $3, $4, $3) ON CONFLICT (card_number) DO NOTHING");
  const std::string departure = AddDays(a.day, 7);
  db->Begin();
  for (size_t i = 0; i < cards.size(); ++i) {
    CardState& card = cards[i];
    char cycle[40];
    std::snprintf(cycle, sizeof cycle, "%016llx%016llx", splitmix(), splitmix());
    card.cycle = cycle;
    char number[32];
    std::snprintf(number, sizeof number, "9%011zu", i);
    card.card_number = number;
    db->Run(insert_cycle, {card.cycle, a.day, departure});
    db->Run(insert_card, {card.card_number, municipality_id, a.day, departure});
  }
  db->Commit();
  // Ledger::FirstUse, word for word.
  const int cycle_first_use = db->Prepare("UPDATE card_usage.cycles SET first_use = $1 WHERE cycle_id = $2");
  const int card_first_use =
      db->Prepare("UPDATE logistics.cards SET first_use_on = $1, updated_on = $2 WHERE card_number = $3");
  const std::string actor = "terminal:" + a.tid;
  const std::string day_of_first_use = a.day;
  Random random(a.seed);
  int64_t purchases = 0, acceptances = 0, rows = 0, statements = 0;

  const double cpu0 = CpuSeconds();
  const double queued0 = RunqueueSeconds();
  const auto t0 = std::chrono::steady_clock::now();
  for (int64_t done = 0; done < a.transactions;) {
    db->Begin();
    const int64_t now = static_cast<int64_t>(std::time(nullptr));
    // The audited card_link access of the batch (audit::Append).
    auto head = db->Run(audit_head, {});
    char hash[72];
    std::snprintf(hash, sizeof hash, "%064llx", static_cast<unsigned long long>(done + 1));
    db->Run(audit_entry, {ToInt(head[0][0]), now, actor, "card_link.record_transactions", actor, "{\"links\":1000}",
                          "raw-" + std::to_string(done), head[0][1], std::string(hash)});
    db->Run(audit_hash, {std::string(hash)});
    rows += 2;
    statements += 3;
    const int64_t end = std::min(a.transactions, done + a.batch);
    for (; done < end; ++done) {
      const int64_t booking = done + 1;
      const std::string at = a.day + "T" + TimeOf(done);
      CardState& card = cards[static_cast<size_t>(random.Below(a.cards))];
      if (!card.used) {
        card.used = true;
        db->Run(cycle_first_use, {a.day, card.cycle});
        db->Run(card_first_use, {a.day, a.day, card.card_number});
        rows += 2;
        statements += 2;
      }
      if (random.Next() < 0.4) {
        const bool days_of = random.Next() < 0.5;
        const std::string method = random.Next() < 0.5 ? "cash" : "card";
        const std::string number = days_of ? "9001" : "9002";
        const int64_t price = days_of ? 2900 : 1200;
        const std::string from = a.day, to = AddDays(a.day, days_of ? 29 : 13);
        const int64_t pkg = package_id[number];
        db->Run(insert_transaction, {a.tid, booking, municipality_id, provider_id, "1", "purchase", at, a.day, now,
                                     kNull, kNull, method, price});
        db->Run(insert_sale_line, {a.tid, booking, 1, pkg, price, from, to, 1});
        db->Run(insert_usage, {card.cycle, "purchase", at, a.tid, pkg, kNull, price, from, to, 1});
        auto id = db->Run(insert_holding, {card.cycle, pkg, from, to, 0, "", 0});
        const int64_t holding = ToInt(id[0][0]);
        if (days_of) {
          if (card.days_of_holding < 0) card.days_of_holding = holding;
        } else {
          card.unused_singles.push_back(holding);
        }
        ++purchases;
        rows += 4;
        statements += 4;
        continue;
      }
      // Acceptance: what the card allows, as bench/terminals.mjs chooses.
      struct Option {
        const char* service;
        const char* package;
      };
      Option options[4];
      int n = 0;
      if (card.days_of_holding >= 0) {
        options[n++] = {"201", "9001"};
        options[n++] = {"202", "9001"};
      }
      if (!card.unused_singles.empty()) options[n++] = {"202", "9002"};
      options[n++] = {"301", "9000"};
      const Option& o = options[random.Below(n)];
      const int64_t pkg = package_id[o.package], svc = service_id[o.service];
      db->Run(insert_transaction, {a.tid, booking, municipality_id, provider_id, "1", "acceptance", at, a.day, now, pkg,
                                   svc, kNull, kNull});
      rows += 2;
      statements += 2;
      if (std::strcmp(o.package, "9001") == 0) {
        db->Run(use_holding, {0, day_of_first_use, ++card.days_of_uses, card.days_of_holding});
        ++rows;
        ++statements;
      } else if (std::strcmp(o.package, "9002") == 0) {
        db->Run(use_holding, {0, "", 1, card.unused_singles.front()});
        card.unused_singles.pop_front();
        ++rows;
        ++statements;
      }
      db->Run(insert_usage, {card.cycle, "acceptance", at, a.tid, pkg, svc, kNull, kNull, kNull, kNull});
      ++acceptances;
    }
    db->Commit();
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const double cpu = CpuSeconds() - cpu0;
  const double queued = RunqueueSeconds() - queued0;
  std::printf(
      "raw engine=%s transactions=%lld purchases=%lld acceptances=%lld seconds=%.2f tx_per_s=%.0f rows=%lld "
      "rows_per_s=%.0f statements=%lld cpu_s=%.2f tx_per_cpu_s=%.0f runqueue_wait_s=%.2f\n",
      db->name(), static_cast<long long>(a.transactions), static_cast<long long>(purchases),
      static_cast<long long>(acceptances), seconds, static_cast<double>(a.transactions) / seconds,
      static_cast<long long>(rows), static_cast<double>(rows) / seconds, static_cast<long long>(statements), cpu,
      static_cast<double>(a.transactions) / cpu, queued);
  return 0;
}
