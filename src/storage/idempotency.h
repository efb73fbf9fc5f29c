// Idempotent retries (docs/api.md, "Idempotency-Key"): a creating write keeps
// its answer in the same transaction as what it created, in a table
// `<segment>.idempotency_keys` of that segment, so a client whose answer was
// lost gets it again instead of creating everything a second time.
//
// The http layer makes an Idempotent<T> from the request (who asks, with which
// key, for what) and how to render a T; the domain function runs its write
// through WriteIdempotently instead of Database::Write, naming the segment and,
// when the answer identifies a person, the box that seals it. Nothing else in
// the domain changes: a request without a key passes nullptr.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <utility>

#include "core/crypto.h"
#include "core/status.h"
#include "storage/database.h"

namespace passwerk::storage {

// What a retry is recognised by. Only hashes are stored: the client's key
// never, and the request only as its digest.
struct IdempotencyRequest {
  std::string key_hash;      // hex SHA-256 of the caller and the client's key (IdempotencyKeyHash)
  std::string request_hash;  // hex SHA-256 of method, path, query and body (IdempotencyRequestHash)
  int64_t now = 0;           // Unix seconds, from the injected clock
  int64_t ttl_seconds = 0;   // how long the answer is kept
};

std::string IdempotencyKeyHash(std::string_view caller, std::string_view key);
std::string IdempotencyRequestHash(std::string_view method, std::string_view path, std::string_view query,
                                   std::string_view body);

// The answer a client got: HTTP status and body.
struct StoredAnswer {
  int status = 0;
  std::string body;
};

// Where a write keeps its answer: the segment of what it creates; sealed with
// `seal` (AES-256-GCM, the data keys) when the answer holds personal data.
struct AnswerStore {
  Segment segment = Segment::kCore;
  const crypto::SecretBox* seal = nullptr;
};

// One request with an Idempotency-Key, through one domain write.
class IdempotentWrite {
 public:
  enum class Outcome {
    kNew,        // nothing stored yet under the key (or it expired): the write ran
    kReplayed,   // the same request was answered before: answer() is that answer
    kKeyReused,  // the key was used for another request (other body or endpoint)
  };

  explicit IdempotentWrite(IdempotencyRequest request) : request_(std::move(request)) {}
  virtual ~IdempotentWrite() = default;

  Outcome outcome() const { return outcome_; }
  // The replayed answer, or the one recorded by a successful write.
  const StoredAnswer& answer() const { return answer_; }

  // Runs `body` in one write transaction with the key: looks it up first
  // (a stored answer ends the transaction unwritten, and so does a key used for
  // another request), claims it, runs `body`, and stores `render()` before the
  // commit. A concurrent request that claimed the same key first (a unique
  // violation, on PostgreSQL after waiting for it to commit) ends in its answer.
  // Not OK whenever the caller must not answer from its own result: the
  // outcome then says why.
  Status Run(Database& db, const AnswerStore& store, const std::function<StoredAnswer()>& render,
             const std::function<Status(Tx&)>& body);

 private:
  // Looks the key up in `tx`: kNew when absent or expired (an expired row is
  // deleted), else sets outcome_ (and answer_).
  Status Find(Tx& tx, const AnswerStore& store, bool delete_expired);
  Status Claim(Tx& tx, const AnswerStore& store);
  Status Record(Tx& tx, const AnswerStore& store, StoredAnswer answer);

  IdempotencyRequest request_;
  Outcome outcome_ = Outcome::kNew;
  StoredAnswer answer_;
};

// An IdempotentWrite whose answer is rendered from the domain function's result.
template <typename T>
class Idempotent : public IdempotentWrite {
 public:
  Idempotent(IdempotencyRequest request, std::function<StoredAnswer(const T&)> render)
      : IdempotentWrite(std::move(request)), render_(std::move(render)) {}
  StoredAnswer Render(const T& result) const { return render_(result); }

 private:
  std::function<StoredAnswer(const T&)> render_;
};

// The domain's hook: db.Write(body) without a key; with one, the answer
// rendered from `result` (which `body` fills) is stored in the same transaction.
template <typename T>
Status WriteIdempotently(Database& db, Idempotent<T>* idempotent, const AnswerStore& store, const T& result,
                         const std::function<Status(Tx&)>& body) {
  if (idempotent == nullptr) return db.Write(body);
  return idempotent->Run(
      db, store, [&] { return idempotent->Render(result); }, body);
}

// Deletes the answers of `segments` that expired by `now`, in transactions of
// at most `batch` rows (the retention schedule); the number deleted.
Result<int64_t> DeleteExpiredAnswers(Database& db, const std::vector<Segment>& segments, int64_t now,
                                     int64_t batch = 1000);

}  // namespace passwerk::storage
