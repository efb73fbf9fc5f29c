#include "terminal_client/buffer.h"

#include <sqlite3.h>

namespace passwerk::terminal_client {
namespace {

constexpr int kSchemaVersion = 1;
// Booking numbers must stay exact in JSON parsers that use doubles.
constexpr int64_t kMaxBookingNumber = (int64_t{1} << 53) - 1;

constexpr const char* kSchema = R"SQL(
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE counter (id INTEGER PRIMARY KEY CHECK (id = 1), next_booking_number INTEGER NOT NULL);
INSERT INTO counter VALUES (1, 1);
CREATE TABLE pending (
  booking_number INTEGER PRIMARY KEY,
  kind TEXT NOT NULL,
  body TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE TABLE rejected (
  booking_number INTEGER PRIMARY KEY,
  kind TEXT NOT NULL,
  body TEXT NOT NULL,
  reason TEXT NOT NULL,
  rejected_at INTEGER NOT NULL
);
CREATE TABLE holdings (
  id INTEGER PRIMARY KEY,
  card_number TEXT NOT NULL,
  circulation_counter INTEGER NOT NULL,
  package_number TEXT NOT NULL,
  valid_from TEXT NOT NULL,
  valid_to TEXT NOT NULL,
  points_left INTEGER NOT NULL,
  used_days TEXT NOT NULL,
  uses INTEGER NOT NULL
);
CREATE INDEX holdings_by_card ON holdings(card_number, circulation_counter);
CREATE TABLE blocked_cards (
  card_number TEXT NOT NULL,
  circulation_counter INTEGER NOT NULL,
  PRIMARY KEY (card_number, circulation_counter)
);
)SQL";

Status SqliteError(sqlite3* db, std::string_view what) {
  int code = db ? sqlite3_errcode(db) : SQLITE_CANTOPEN;
  std::string detail = std::string(what) + ": " + (db ? sqlite3_errmsg(db) : "cannot open");
  if (code == SQLITE_BUSY || code == SQLITE_LOCKED) {
    return Unavailable("the buffer file is busy (another terminal command holds it)", detail);
  }
  return Unavailable("the buffer file cannot be used", detail);
}

// A prepared statement that finalises itself.
class Statement {
 public:
  Statement(sqlite3* db, const char* sql) : db_(db) {
    if (sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr) != SQLITE_OK) {
      status_ = SqliteError(db, "prepare");
      sqlite3_finalize(stmt_);
      stmt_ = nullptr;
    }
  }
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  const Status& status() const { return status_; }
  Statement& Bind(int index, int64_t value) {
    if (stmt_) sqlite3_bind_int64(stmt_, index, value);
    return *this;
  }
  Statement& Bind(int index, std::string_view value) {
    if (stmt_) sqlite3_bind_text(stmt_, index, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT);
    return *this;
  }
  // true: a row is available; false: done.
  Result<bool> Step() {
    if (!stmt_) return status_;
    int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    return SqliteError(db_, "step");
  }
  Status Run() {
    auto row = Step();
    return row.ok() ? Status::Ok() : row.status();
  }
  void Reset() {
    if (!stmt_) return;
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  int64_t Int(int column) const { return sqlite3_column_int64(stmt_, column); }
  std::string Text(int column) const {
    const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
    return text ? std::string(text, static_cast<size_t>(sqlite3_column_bytes(stmt_, column))) : std::string();
  }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
  Status status_;
};

Result<LocalHolding> ReadHolding(const Statement& row) {
  LocalHolding held;
  held.id = row.Int(0);
  held.card_number = row.Text(1);
  held.circulation_counter = static_cast<int>(row.Int(2));
  held.package_number = row.Text(3);
  auto from = ParseIsoDate(row.Text(4));
  auto to = ParseIsoDate(row.Text(5));
  if (!from || !to) return Unavailable("the buffer file is damaged", "holding with a bad date");
  held.holding.valid_from = *from;
  held.holding.valid_to = *to;
  held.holding.points_left = row.Int(6);
  PW_ASSIGN_OR_RETURN(held.holding.used_days, terminals::ParseDays(row.Text(7)));
  held.holding.uses = row.Int(8);
  return held;
}

}  // namespace

Result<std::unique_ptr<Buffer>> Buffer::Open(const std::string& path, const std::string& tid) {
  sqlite3* db = nullptr;
  int rc =
      sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    Status status = Unavailable("cannot open the buffer file " + path, db ? sqlite3_errmsg(db) : "out of memory");
    sqlite3_close(db);
    return status;
  }
  std::unique_ptr<Buffer> buffer(new Buffer(db, tid));
  // Commands of the same terminal may overlap (a sale while a sync runs):
  // they wait for each other instead of failing.
  sqlite3_busy_timeout(db, 15000);
  // WAL with synchronous=FULL: a commit is on disk before COMMIT returns, so
  // neither a killed process nor a power cut loses a committed transaction.
  PW_RETURN_IF_ERROR(buffer->Exec("PRAGMA journal_mode=WAL"));
  PW_RETURN_IF_ERROR(buffer->Exec("PRAGMA synchronous=FULL"));
  auto create_or_check = [&]() -> Status {
    Statement version(db, "PRAGMA user_version");
    PW_ASSIGN_OR_RETURN(bool row, version.Step());
    int64_t current = row ? version.Int(0) : 0;
    if (current > kSchemaVersion) {
      return FailedPrecondition("the buffer file was written by a newer passwerk", "--buffer");
    }
    if (current == 0) {
      PW_RETURN_IF_ERROR(buffer->Exec(kSchema));
      PW_RETURN_IF_ERROR(buffer->Exec("PRAGMA user_version=1"));
      Statement owner(db, "INSERT INTO meta (key, value) VALUES ('tid', ?)");
      owner.Bind(1, tid);
      PW_RETURN_IF_ERROR(owner.Run());
      return Status::Ok();
    }
    Statement owner(db, "SELECT value FROM meta WHERE key = 'tid'");
    PW_ASSIGN_OR_RETURN(bool found, owner.Step());
    if (!found) return Unavailable("the buffer file is damaged", "no tid in meta");
    if (owner.Text(0) != tid) {
      return FailedPrecondition("the buffer file belongs to terminal " + owner.Text(0), "--buffer");
    }
    return Status::Ok();
  };
  PW_RETURN_IF_ERROR(buffer->InTransaction(create_or_check));
  return buffer;
}

Buffer::~Buffer() { sqlite3_close(db_); }

Status Buffer::Exec(const char* sql) {
  char* error = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &error) != SQLITE_OK) {
    Status status = SqliteError(db_, error ? error : "exec");
    sqlite3_free(error);
    return status;
  }
  return Status::Ok();
}

Status Buffer::InTransaction(const std::function<Status()>& body) {
  // IMMEDIATE takes the write lock up front, so two commands never both read
  // the counter before either writes it.
  PW_RETURN_IF_ERROR(Exec("BEGIN IMMEDIATE"));
  Status status = body();
  if (status.ok()) status = Exec("COMMIT");
  if (!status.ok()) {
    if (!sqlite3_get_autocommit(db_)) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    return status;
  }
  return Status::Ok();
}

Result<int64_t> Buffer::TakeBookingNumber() {
  Statement read(db_, "SELECT next_booking_number FROM counter WHERE id = 1");
  PW_ASSIGN_OR_RETURN(bool row, read.Step());
  if (!row) return Unavailable("the buffer file is damaged", "no booking-number counter");
  int64_t number = read.Int(0);
  if (number < 1 || number >= kMaxBookingNumber) {
    return FailedPrecondition("this terminal has used up its booking numbers");
  }
  Statement write(db_, "UPDATE counter SET next_booking_number = ? WHERE id = 1");
  write.Bind(1, number + 1);
  PW_RETURN_IF_ERROR(write.Run());
  return number;
}

Result<int64_t> Buffer::ReserveBookingNumber() {
  int64_t number = 0;
  auto take = [&]() -> Status {
    PW_ASSIGN_OR_RETURN(number, TakeBookingNumber());
    return Status::Ok();
  };
  PW_RETURN_IF_ERROR(InTransaction(take));
  return number;
}

Result<int64_t> Buffer::NextBookingNumber() {
  Statement read(db_, "SELECT next_booking_number FROM counter WHERE id = 1");
  PW_ASSIGN_OR_RETURN(bool row, read.Step());
  if (!row) return Unavailable("the buffer file is damaged", "no booking-number counter");
  return read.Int(0);
}

Result<int64_t> Buffer::AddTransaction(std::string_view kind, const BodyFor& body,
                                       std::optional<LocalHolding> new_holding) {
  int64_t number = 0;
  auto store = [&]() -> Status {
    PW_ASSIGN_OR_RETURN(number, TakeBookingNumber());
    Statement insert(db_,
                     "INSERT INTO pending (booking_number, kind, body, created_at) VALUES (?, ?, ?, "
                     "CAST(strftime('%s','now') AS INTEGER))");
    insert.Bind(1, number).Bind(2, kind).Bind(3, body(number));
    PW_RETURN_IF_ERROR(insert.Run());
    if (new_holding) {
      new_holding->id = number;
      PW_RETURN_IF_ERROR(WriteHolding(*new_holding, true));
    }
    return Status::Ok();
  };
  PW_RETURN_IF_ERROR(InTransaction(store));
  return number;
}

Status Buffer::AddReservedTransaction(int64_t booking_number, std::string_view kind, const std::string& body,
                                      const std::optional<LocalHolding>& changed_holding) {
  return InTransaction([&]() -> Status {
    PW_ASSIGN_OR_RETURN(int64_t next, NextBookingNumber());
    if (booking_number < 1 || booking_number >= next) {
      return Internal("booking number " + std::to_string(booking_number) + " was never reserved");
    }
    Statement insert(db_,
                     "INSERT INTO pending (booking_number, kind, body, created_at) VALUES (?, ?, ?, "
                     "CAST(strftime('%s','now') AS INTEGER))");
    insert.Bind(1, booking_number).Bind(2, kind).Bind(3, body);
    PW_RETURN_IF_ERROR(insert.Run());
    if (changed_holding) PW_RETURN_IF_ERROR(WriteHolding(*changed_holding, false));
    return Status::Ok();
  });
}

Status Buffer::WriteHolding(const LocalHolding& held, bool insert) {
  Statement write(db_, insert ? "INSERT INTO holdings (card_number, circulation_counter, package_number, valid_from, "
                                "valid_to, points_left, used_days, uses, id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
                              : "UPDATE holdings SET card_number = ?, circulation_counter = ?, package_number = ?, "
                                "valid_from = ?, valid_to = ?, points_left = ?, used_days = ?, uses = ? WHERE id = ?");
  write.Bind(1, held.card_number)
      .Bind(2, int64_t{held.circulation_counter})
      .Bind(3, held.package_number)
      .Bind(4, FormatIsoDate(held.holding.valid_from))
      .Bind(5, FormatIsoDate(held.holding.valid_to))
      .Bind(6, held.holding.points_left)
      .Bind(7, terminals::FormatDays(held.holding.used_days))
      .Bind(8, held.holding.uses)
      .Bind(9, held.id);
  return write.Run();
}

Status Buffer::UpdateHolding(const LocalHolding& holding) {
  return InTransaction([&] { return WriteHolding(holding, false); });
}

Result<bool> Buffer::HasPendingSale(std::string_view card_number, int circulation_counter) {
  Statement select(db_,
                   "SELECT 1 FROM pending WHERE booking_number IN (SELECT id FROM holdings WHERE card_number = ? "
                   "AND circulation_counter = ?) LIMIT 1");
  select.Bind(1, card_number).Bind(2, int64_t{circulation_counter});
  return select.Step();
}

Status Buffer::PruneHoldings(const Date& day) {
  return InTransaction([&] {
    Statement prune(db_, "DELETE FROM holdings WHERE valid_to < ?");
    prune.Bind(1, FormatIsoDate(day));
    return prune.Run();
  });
}

Result<std::vector<LocalHolding>> Buffer::Holdings(std::string_view card_number, int circulation_counter) {
  Statement select(db_,
                   "SELECT id, card_number, circulation_counter, package_number, valid_from, valid_to, "
                   "points_left, used_days, uses FROM holdings WHERE card_number = ? AND circulation_counter = ? "
                   "ORDER BY id");
  select.Bind(1, card_number).Bind(2, int64_t{circulation_counter});
  std::vector<LocalHolding> out;
  while (true) {
    PW_ASSIGN_OR_RETURN(bool row, select.Step());
    if (!row) break;
    PW_ASSIGN_OR_RETURN(LocalHolding held, ReadHolding(select));
    out.push_back(std::move(held));
  }
  return out;
}

Result<std::vector<BufferedTransaction>> Buffer::Pending(int limit) {
  Statement select(db_, "SELECT booking_number, kind, body FROM pending ORDER BY booking_number LIMIT ?");
  select.Bind(1, int64_t{limit});
  std::vector<BufferedTransaction> out;
  while (true) {
    PW_ASSIGN_OR_RETURN(bool row, select.Step());
    if (!row) break;
    out.push_back({select.Int(0), select.Text(1), select.Text(2)});
  }
  return out;
}

Result<int64_t> Buffer::PendingCount() {
  Statement count(db_, "SELECT count(*) FROM pending");
  PW_ASSIGN_OR_RETURN(bool row, count.Step());
  return row ? count.Int(0) : 0;
}

Result<bool> Buffer::IsPending(int64_t booking_number) {
  Statement select(db_, "SELECT 1 FROM pending WHERE booking_number = ?");
  select.Bind(1, booking_number);
  return select.Step();
}

Result<AcknowledgeCounts> Buffer::Acknowledge(const std::vector<Acknowledgement>& answers, int64_t now) {
  AcknowledgeCounts counts;
  auto apply = [&]() -> Status {
    counts = {};
    Statement remove(db_, "DELETE FROM pending WHERE booking_number = ?");
    Statement move_aside(db_,
                         "INSERT OR REPLACE INTO rejected (booking_number, kind, body, reason, rejected_at) "
                         "SELECT booking_number, kind, body, ?, ? FROM pending WHERE booking_number = ?");
    for (const Acknowledgement& answer : answers) {
      if (answer.result == UploadResult::kRejected) {
        move_aside.Reset();
        move_aside.Bind(1, answer.reason).Bind(2, now).Bind(3, answer.booking_number);
        PW_RETURN_IF_ERROR(move_aside.Run());
      }
      remove.Reset();
      remove.Bind(1, answer.booking_number);
      PW_RETURN_IF_ERROR(remove.Run());
      if (sqlite3_changes(db_) > 0) {
        (answer.result == UploadResult::kRejected ? counts.rejected : counts.deleted) += 1;
      }
    }
    return Status::Ok();
  };
  PW_RETURN_IF_ERROR(InTransaction(apply));
  return counts;
}

Result<std::vector<RejectedTransaction>> Buffer::Rejected() {
  Statement select(db_, "SELECT booking_number, kind, body, reason, rejected_at FROM rejected ORDER BY booking_number");
  std::vector<RejectedTransaction> out;
  while (true) {
    PW_ASSIGN_OR_RETURN(bool row, select.Step());
    if (!row) break;
    out.push_back({select.Int(0), select.Text(1), select.Text(2), select.Text(3), select.Int(4)});
  }
  return out;
}

Status Buffer::StoreSyncData(const std::string& catalogue_json, const std::vector<BlockedCard>& blocked,
                             const std::vector<std::pair<std::string, std::string>>& meta) {
  return InTransaction([&]() -> Status {
    PW_RETURN_IF_ERROR(Exec("DELETE FROM blocked_cards"));
    Statement insert(db_, "INSERT OR IGNORE INTO blocked_cards (card_number, circulation_counter) VALUES (?, ?)");
    for (const BlockedCard& card : blocked) {
      insert.Reset();
      insert.Bind(1, card.card_number).Bind(2, int64_t{card.circulation_counter});
      PW_RETURN_IF_ERROR(insert.Run());
    }
    Statement set(db_, "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)");
    set.Bind(1, std::string_view("catalogue")).Bind(2, catalogue_json);
    PW_RETURN_IF_ERROR(set.Run());
    for (const auto& [key, value] : meta) {
      set.Reset();
      set.Bind(1, key).Bind(2, value);
      PW_RETURN_IF_ERROR(set.Run());
    }
    return Status::Ok();
  });
}

Result<bool> Buffer::IsBlocked(std::string_view card_number, int circulation_counter) {
  Statement select(db_, "SELECT 1 FROM blocked_cards WHERE card_number = ? AND circulation_counter >= ? LIMIT 1");
  select.Bind(1, card_number).Bind(2, int64_t{circulation_counter});
  return select.Step();
}

Result<int64_t> Buffer::BlockedCount() {
  Statement count(db_, "SELECT count(*) FROM blocked_cards");
  PW_ASSIGN_OR_RETURN(bool row, count.Step());
  return row ? count.Int(0) : 0;
}

Result<std::optional<std::string>> Buffer::GetMeta(std::string_view key) {
  Statement select(db_, "SELECT value FROM meta WHERE key = ?");
  select.Bind(1, key);
  PW_ASSIGN_OR_RETURN(bool row, select.Step());
  if (!row) return std::optional<std::string>();
  return std::optional<std::string>(select.Text(0));
}

Status Buffer::SetMeta(const std::vector<std::pair<std::string, std::string>>& values) {
  return InTransaction([&]() -> Status {
    Statement set(db_, "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)");
    for (const auto& [key, value] : values) {
      set.Reset();
      set.Bind(1, key).Bind(2, value);
      PW_RETURN_IF_ERROR(set.Run());
    }
    return Status::Ok();
  });
}

Status Buffer::DeleteMeta(std::string_view key) {
  return InTransaction([&]() -> Status {
    Statement remove(db_, "DELETE FROM meta WHERE key = ?");
    remove.Bind(1, key);
    return remove.Run();
  });
}

}  // namespace passwerk::terminal_client
