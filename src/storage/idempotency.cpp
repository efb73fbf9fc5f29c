// Idempotent retries: the answer of a creating write, kept in the same
// transaction as what it created (idempotency.h).
#include "storage/idempotency.h"

#include <string>

namespace passwerk::storage {
namespace {

// What a replay or a reused key ends the transaction with: nothing is written,
// and the outcome, not this status, decides the answer.
Status Settled() { return FailedPrecondition("the idempotency key was used before"); }

std::string Table(Segment segment) { return std::string(SegmentName(segment)) + ".idempotency_keys"; }

// Associated data of a sealed answer: bound to its segment and key, so a
// sealed answer copied to another key or segment does not decrypt.
std::string SealContext(Segment segment, const std::string& key_hash) { return Table(segment) + ".answer:" + key_hash; }

}  // namespace

std::string IdempotencyKeyHash(std::string_view caller, std::string_view key) {
  std::string text(caller);
  text += '\n';
  text += key;
  return crypto::Sha256Hex(text);
}

std::string IdempotencyRequestHash(std::string_view method, std::string_view path, std::string_view query,
                                   std::string_view body) {
  // The body's digest first, so no choice of path and body gives another's text.
  std::string text = crypto::Sha256Hex(body);
  text += '\n';
  text += method;
  text += ' ';
  text += path;
  if (!query.empty()) {
    text += '?';
    text += query;
  }
  return crypto::Sha256Hex(text);
}

Status IdempotentWrite::Find(Tx& tx, const AnswerStore& store, bool delete_expired) {
  outcome_ = Outcome::kNew;
  PW_ASSIGN_OR_RETURN(Rows rows, tx.Query("SELECT request_hash, status, answer, sealed, expires_at FROM " +
                                              Table(store.segment) + " WHERE key_hash = $1",
                                          {request_.key_hash}));
  if (rows.empty()) return Status::Ok();
  const Row& row = rows.front();
  if (row.Int(4) <= request_.now) {
    // Expired: the key counts as new (retention deletes the others).
    if (!delete_expired) return Status::Ok();
    return tx.Exec("DELETE FROM " + Table(store.segment) + " WHERE key_hash = $1", {request_.key_hash}).status();
  }
  if (row.Text(0) != request_.request_hash) {
    outcome_ = Outcome::kKeyReused;
    return Status::Ok();
  }
  std::string body = row.Text(2);
  if (row.Int(3) != 0) {
    if (store.seal == nullptr) return Internal("a sealed idempotent answer without a key to open it");
    PW_ASSIGN_OR_RETURN(body, store.seal->Decrypt(body, SealContext(store.segment, request_.key_hash)));
  }
  outcome_ = Outcome::kReplayed;
  answer_ = {static_cast<int>(row.Int(1)), std::move(body)};
  return Status::Ok();
}

Status IdempotentWrite::Claim(Tx& tx, const AnswerStore& store) {
  // The row is claimed before the body runs: on PostgreSQL a concurrent
  // request with the same key waits here until this transaction ends.
  return tx
      .Exec("INSERT INTO " + Table(store.segment) +
                " (key_hash, request_hash, status, answer, sealed, expires_at) VALUES ($1, $2, 0, $3, 0, $4)",
            {request_.key_hash, request_.request_hash, Blob{}, request_.now + request_.ttl_seconds})
      .status();
}

Status IdempotentWrite::Record(Tx& tx, const AnswerStore& store, StoredAnswer answer) {
  std::string stored = answer.body;
  if (store.seal != nullptr) stored = store.seal->Encrypt(stored, SealContext(store.segment, request_.key_hash));
  PW_ASSIGN_OR_RETURN(
      int64_t changed,
      tx.Exec("UPDATE " + Table(store.segment) + " SET status = $1, answer = $2, sealed = $3 WHERE key_hash = $4",
              {int64_t{answer.status}, Blob{stored}, int64_t{store.seal != nullptr ? 1 : 0}, request_.key_hash}));
  if (changed != 1) return Internal("the claimed idempotency key is gone");
  answer_ = std::move(answer);
  return Status::Ok();
}

Status IdempotentWrite::Run(Database& db, const AnswerStore& store, const std::function<StoredAnswer()>& render,
                            const std::function<Status(Tx&)>& body) {
  // A domain function that retries its write (a drawn card number taken)
  // does not run it again once the key has settled the answer.
  if (outcome_ != Outcome::kNew) return Settled();
  Status status = db.Write([&](Tx& tx) -> Status {
    PW_RETURN_IF_ERROR(Find(tx, store, /*delete_expired=*/true));
    if (outcome_ != Outcome::kNew) return Settled();
    PW_RETURN_IF_ERROR(Claim(tx, store));
    PW_RETURN_IF_ERROR(body(tx));
    return Record(tx, store, render());
  });
  const bool settled = outcome_ != Outcome::kNew;
  if (!settled && status.code() != ErrorCode::kAlreadyExists) return status;
  // Only what is committed counts, read in a new snapshot: after a unique
  // violation, the answer of a concurrent request with the same key that
  // committed first; after a key found inside the write, that it was not the
  // uncommitted row of another body in the same group commit (storage/database.h)
  // whose transaction then failed.
  Status found = db.Read([&](Tx& tx) { return Find(tx, store, /*delete_expired=*/false); });
  if (!found.ok()) return found;
  if (outcome_ != Outcome::kNew) return Settled();
  if (settled) return Unavailable("a request with this Idempotency-Key did not complete; retry it");
  return status;
}

Result<int64_t> DeleteExpiredAnswers(Database& db, const std::vector<Segment>& segments, int64_t now, int64_t batch) {
  int64_t total = 0;
  for (Segment segment : segments) {
    const std::string sql = "DELETE FROM " + Table(segment) + " WHERE key_hash IN (SELECT key_hash FROM " +
                            Table(segment) + " WHERE expires_at <= $1 LIMIT $2)";
    for (int64_t deleted = batch; deleted == batch;) {
      PW_RETURN_IF_ERROR(db.Write([&](Tx& tx) -> Status {
        PW_ASSIGN_OR_RETURN(deleted, tx.Exec(sql, {now, batch}));
        return Status::Ok();
      }));
      total += deleted;
    }
  }
  return total;
}

}  // namespace passwerk::storage
