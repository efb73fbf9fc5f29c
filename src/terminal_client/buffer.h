// The terminal client's own SQLite file: the booking-number counter, the
// transactions not yet acknowledged by the server, those it rejected, the
// packages this terminal sold (for offline decisions) and what the last sync
// taught it. Every change is one SQLite transaction with synchronous=FULL, so
// a process killed at any moment leaves either all of a change or none of it.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"
#include "terminal_client/offline.h"

struct sqlite3;

namespace passwerk::terminal_client {

struct BufferedTransaction {
  int64_t booking_number = 0;
  std::string kind;
  std::string body;  // the transaction's JSON as it is uploaded
};

struct RejectedTransaction {
  int64_t booking_number = 0;
  std::string kind;
  std::string body;
  std::string reason;
  int64_t rejected_at = 0;  // unix seconds
};

enum class UploadResult { kAccepted, kDuplicate, kRejected };

// One line of the server's answer to an upload.
struct Acknowledgement {
  int64_t booking_number = 0;
  UploadResult result = UploadResult::kAccepted;
  std::string reason;  // rejected: why
};

struct AcknowledgeCounts {
  int64_t deleted = 0;
  int64_t rejected = 0;
};

class Buffer {
 public:
  // Creates the file if needed. A buffer belongs to one TID: booking numbers
  // are unique per terminal, so a file of another terminal is refused.
  static Result<std::unique_ptr<Buffer>> Open(const std::string& path, const std::string& tid);
  ~Buffer();
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;

  const std::string& tid() const { return tid_; }

  // Takes the next booking number in a transaction of its own. The number is
  // spent even if nothing is ever stored under it.
  Result<int64_t> ReserveBookingNumber();
  // The number the next reservation would return.
  Result<int64_t> NextBookingNumber();

  // Takes the next booking number and stores the transaction `body(number)`
  // builds, and the holding the sale creates (its id becomes the booking
  // number), in ONE transaction.
  using BodyFor = std::function<std::string(int64_t booking_number)>;
  Result<int64_t> AddTransaction(std::string_view kind, const BodyFor& body,
                                 std::optional<LocalHolding> new_holding = std::nullopt);
  // Stores a transaction under a booking number reserved before, with the
  // change of a holding (offline acceptance), in one transaction.
  Status AddReservedTransaction(int64_t booking_number, std::string_view kind, const std::string& body,
                                const std::optional<LocalHolding>& changed_holding);

  // The oldest pending transactions, by booking number.
  Result<std::vector<BufferedTransaction>> Pending(int limit);
  Result<int64_t> PendingCount();
  Result<bool> IsPending(int64_t booking_number);
  // Applies an upload answer in ONE transaction: accepted and duplicate ones
  // are deleted, rejected ones moved aside with the reason. Numbers that are
  // not pending are ignored.
  Result<AcknowledgeCounts> Acknowledge(const std::vector<Acknowledgement>& answers, int64_t now);
  Result<std::vector<RejectedTransaction>> Rejected();

  // The local holdings of a card (this circulation), oldest sale first.
  Result<std::vector<LocalHolding>> Holdings(std::string_view card_number, int circulation_counter);
  Status UpdateHolding(const LocalHolding& holding);
  // Whether a sale onto this card is still waiting for upload (the server
  // would not know the package yet).
  Result<bool> HasPendingSale(std::string_view card_number, int circulation_counter);
  // Forgets holdings whose validity ended before `day`.
  Status PruneHoldings(const Date& day);

  // What sync-data taught: the catalogue (as JSON text), the blocked cards and
  // meta values, replaced together in one transaction.
  Status StoreSyncData(const std::string& catalogue_json, const std::vector<BlockedCard>& blocked,
                       const std::vector<std::pair<std::string, std::string>>& meta);
  // Blocked when this circulation or an older one of the card is listed.
  Result<bool> IsBlocked(std::string_view card_number, int circulation_counter);
  Result<int64_t> BlockedCount();

  // Small values: session, vu_number, municipality_number, catalogue, last_sync.
  Result<std::optional<std::string>> GetMeta(std::string_view key);
  Status SetMeta(const std::vector<std::pair<std::string, std::string>>& values);
  Status DeleteMeta(std::string_view key);

 private:
  Buffer(sqlite3* db, std::string tid) : db_(db), tid_(std::move(tid)) {}
  Status Exec(const char* sql);
  // Runs `body` inside BEGIN IMMEDIATE … COMMIT; rolls back on error.
  Status InTransaction(const std::function<Status()>& body);
  Result<int64_t> TakeBookingNumber();  // inside a transaction
  Status WriteHolding(const LocalHolding& holding, bool insert);

  sqlite3* db_;
  std::string tid_;
};

}  // namespace passwerk::terminal_client
