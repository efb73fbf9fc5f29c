// The engine-neutral storage contract: a Database hands out transactions (Tx)
// over the privacy segments it was opened with. SQL is written once, with
// schema-qualified names (`core.users`) and `$1`-style parameters; each engine
// backend makes that work (SQLite attaches one file per segment under its
// name, PostgreSQL has one schema per segment).
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/status.h"

namespace passwerk::storage {

// Privacy segments (DESIGN.md). The order is the migration order.
// Privacy segments: one SQLite file or PostgreSQL schema (with its own role) each.
// The guest-card segments follow the ostseecard* agreement §3.
enum class Segment {
  kCore,
  kAudit,
  kCards,
  kChecks,
  kSpaTax,      // 3.1 spa tax per registration
  kMarketing,   // 3.2 only with consent
  kCardLink,    // 3.3.1 card number <-> card-cycle id
  kCardUsage,   // 3.3.2 usage keyed by card-cycle id
  kLogistics,   // 3.4 card production and status
  kHistory,     // 3.5 historised usage
  kSettlement,  // 3.6 settlement between providers
  kPortal,      // citizen accounts and sessions (the citizen side)
  kApplications,  // online applications, their documents and notes (the citizen side)
};

std::string_view SegmentName(Segment segment);
const std::vector<Segment>& AllSegments();

struct Blob {
  std::string bytes;
  bool operator==(const Blob&) const = default;
};

// A bound parameter or a column value. std::monostate is SQL NULL.
using Value = std::variant<std::monostate, int64_t, double, std::string, Blob>;

class Row {
 public:
  explicit Row(std::vector<Value> values) : values_(std::move(values)) {}
  size_t size() const { return values_.size(); }
  bool IsNull(size_t i) const { return std::holds_alternative<std::monostate>(values_.at(i)); }
  int64_t Int(size_t i) const;
  double Double(size_t i) const;
  // Text or blob contents; empty string for NULL.
  const std::string& Text(size_t i) const;
  std::optional<std::string> OptText(size_t i) const;
  std::optional<int64_t> OptInt(size_t i) const;
  const Value& at(size_t i) const { return values_.at(i); }

 private:
  std::vector<Value> values_;
};

using Rows = std::vector<Row>;
using Params = std::vector<Value>;

// One transaction on one connection. Every statement is prepared once per
// connection and cached. Errors are values: kUnavailable for a locked, full or
// missing database, kAlreadyExists for a unique-constraint violation,
// kInternal for anything else (the SQL stays in the detail, never the message).
// A failed statement ends the transaction on PostgreSQL: domain code must not
// catch a storage error and carry on in the same transaction (check first, or
// use INSERT … ON CONFLICT), so both engines behave alike.
class Tx {
 public:
  virtual ~Tx() = default;
  virtual Result<Rows> Query(std::string_view sql, const Params& params = {}) = 0;
  // Number of rows changed.
  virtual Result<int64_t> Exec(std::string_view sql, const Params& params = {}) = 0;

  // Convenience: the first row, or NotFound.
  Result<Row> QueryOne(std::string_view sql, const Params& params = {});
};

// Runs `select_prefix` + "($1, …, $n)" for the keys in chunks of a fixed
// size (the last chunk padded by repeating its last key, so one statement is
// prepared per size, not per batch), calling `each` for every row. For
// lookups of many keys at once: one round trip per chunk instead of per key.
// Rows of padded keys repeat; callers key the rows they get.
Status QueryIn(Tx& tx, std::string_view select_prefix, const std::vector<Value>& keys,
               const std::function<Status(const Row&)>& each, size_t chunk = 100);

enum class Engine { kSqlite, kPostgres };

class Database {
 public:
  virtual ~Database() = default;
  virtual Engine engine() const = 0;

  // Runs `body` in a write transaction: commit if it returns OK, rollback
  // otherwise (and on any storage error). Whole or absent, also across
  // segments and when the process is killed. Concurrent writes may share one
  // physical transaction (SQLite's group commit), each body in its own
  // savepoint: a body sees the writes committed before it, must not keep
  // state across calls that a rollback of its own work would leave stale,
  // and must not call Write itself.
  virtual Status Write(const std::function<Status(Tx&)>& body) = 0;
  // Runs `body` in a read-only snapshot.
  virtual Status Read(const std::function<Status(Tx&)>& body) = 0;
  // Cheap liveness probe for /readyz.
  virtual Status Ping() = 0;
};

// What a backend needs to open; parsed from configuration.
struct DatabaseOptions {
  // "sqlite" (files under data_dir, or memory) or a postgresql:// URL.
  std::string data_dir = "./data";
  bool in_memory = false;         // SQLite only: no files at all (tests)
  std::string postgres_url;       // non-empty selects PostgreSQL
  int pool_size = 0;              // 0: engine default
  int busy_timeout_ms = 5000;     // SQLite busy timeout / PG lock_timeout
  std::vector<Segment> segments;  // the segments this purpose may see
};

// OpenDatabase, which picks the engine, is storage/engines/engines.h: the
// interface knows no engine.

}  // namespace passwerk::storage
