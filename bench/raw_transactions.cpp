// Baseline for scripts/bench terminals: the rows that uploads of terminal
// transactions write, inserted "without Passwerk" — straight through the
// sqlite3 C API or libpq, prepared statements, one database transaction per
// batch of 1000 — so that the benchmark can report Passwerk's rate as a ratio
// of this one, measured in the same run.
//
//   passwerk_raw_transactions (--data DIR [--journal rollback|wal] | --database-url URL) --day YYYY-MM-DD
//       [--transactions 200000] [--batch 1000] [--cards 20000] [--seed 1] [--tid T-BAD-01]
//   passwerk_raw_transactions (--data DIR | --database-url URL) --count [--tid T-BAD-01]
//
// Run `passwerk demo` on a fresh data directory / database first: the schema
// is then Passwerk's own, and the ids of terminal, provider, packages and
// services are read from `core` before the clock starts. SQLite is opened like
// src/storage/sqlite does it (bench/raw_engine.h): an on-disk, empty main.db
// with every segment of the guest-card procedure attached, each with a
// rollback journal (--journal wal: the former setup, an in-memory main and
// every segment in WAL), synchronous = FULL, the same mmap and cache sizes,
// foreign keys on, no memory statistics.
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
// Prints one line: raw engine=… [journal=…] transactions=… purchases=… acceptances=… seconds=…
// tx_per_s=… rows=… rows_per_s=… statements=… cpu_s=… tx_per_cpu_s=… (the CPU
// time of this process: all of the work on SQLite, the client side on PostgreSQL)
// runqueue_wait_s=… (time it was ready to run but other work held the CPU).
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <deque>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "raw_engine.h"

namespace raw {
namespace {

constexpr char kUsage[] =
    "passwerk_raw_transactions (--data DIR [--journal rollback|wal] | --database-url URL) --day YYYY-MM-DD\n"
    "           [--transactions 200000] [--batch 1000] [--cards 20000] [--seed 1] [--tid T-BAD-01]\n"
    "       passwerk_raw_transactions (--data DIR | --database-url URL) --count [--tid T-BAD-01]\n";

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
  std::string day, tid = "T-BAD-01";
  int64_t transactions = 200'000, batch = 1000, cards = 20'000;
  uint32_t seed = 1;
};

void Count(Engine& db, const std::string& tid) {
  std::cout << "count engine=" << db.name() << " settlement_transactions="
            << db.Scalar("SELECT COUNT(*) FROM settlement.transactions WHERE tid = $1", {tid})
            << " sale_lines=" << db.Scalar("SELECT COUNT(*) FROM settlement.sale_lines WHERE tid = $1", {tid})
            << " usage_transactions=" << db.Scalar("SELECT COUNT(*) FROM card_usage.transactions WHERE tid = $1", {tid})
            << " holdings=" << db.Scalar("SELECT COUNT(*) FROM card_usage.holdings")
            << " holding_uses=" << db.Scalar("SELECT SUM(uses) FROM card_usage.holdings")
            << " misuse_log=" << db.Scalar("SELECT COUNT(*) FROM logistics.misuse_log") << "\n";
}

int Main(int argc, char** argv) {
  Args a;
  const Options flags = ParseFlags(argc, argv, kUsage, [&a](const std::string& flag, const std::string& value) {
    if (flag == "--day")
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
      return false;
    return true;
  });
  std::unique_ptr<Engine> db = flags.target.Open(flags.count);
  if (flags.count) {
    Count(*db, a.tid);
    return 0;
  }
  if (a.day.size() != 10 || a.transactions < 1 || a.batch < 1 || a.cards < 1) Usage("bad arguments", kUsage);

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
  AuditTrail audit(*db);

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

  const Stopwatch clock;
  for (int64_t done = 0; done < a.transactions;) {
    db->Begin();
    const int64_t now = static_cast<int64_t>(std::time(nullptr));
    // The audited card_link access of the batch (audit::Append).
    audit.Append(now, actor, "card_link.record_transactions", actor, "{\"links\":1000}", "raw-" + std::to_string(done));
    rows += AuditTrail::kRows;
    statements += AuditTrail::kStatements;
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
  const double seconds = clock.seconds();
  const double cpu = clock.cpu_seconds();
  const double queued = clock.runqueue_seconds();
  std::printf(
      "raw engine=%s%s transactions=%lld purchases=%lld acceptances=%lld seconds=%.2f tx_per_s=%.0f rows=%lld "
      "rows_per_s=%.0f statements=%lld cpu_s=%.2f tx_per_cpu_s=%.0f runqueue_wait_s=%.2f\n",
      db->name(), flags.target.JournalField().c_str(), static_cast<long long>(a.transactions),
      static_cast<long long>(purchases), static_cast<long long>(acceptances), seconds,
      static_cast<double>(a.transactions) / seconds, static_cast<long long>(rows), static_cast<double>(rows) / seconds,
      static_cast<long long>(statements), cpu, static_cast<double>(a.transactions) / cpu, queued);
  return 0;
}

}  // namespace
}  // namespace raw

int main(int argc, char** argv) { return raw::Main(argc, argv); }
