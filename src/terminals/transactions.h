// Transactions from terminals (docs/terminal-protocol.md §3–4, 001 §2.3):
// what a transaction is per kind (read from the wire by transaction_parsing.h),
// exactly-once storage by (TID, booking number), online acceptance, and what
// terminals learn for offline work.
//
// Where a transaction lands (001 §3.3, §3.6), in one write transaction:
//   settlement  the transaction without any card reference (always)
//   card_usage  under the card-cycle id, resolved through card_link with the
//               audited purpose "record transactions" (not for acceptances
//               on annual cards), and the packages the card holds
//   logistics   the misuse log, for conflicts such as double use
// A well-formed transaction the catalogue does not allow (a credit without a
// sale, a price or validity not the package's, a day outside the terminal's
// window) is refused and kept aside in settlement.refused_transactions only.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/dates.h"
#include "core/status.h"
#include "storage/database.h"
#include "terminals/acceptance.h"
#include "terminals/terminals.h"

namespace passwerk::terminals {

inline constexpr int kProtocolVersion = 1;
inline constexpr size_t kMaxBatch = 1000;

enum class TxKind { kUpdate, kPurchase, kCredit, kAcceptance };
std::string_view TxKindName(TxKind kind);

struct CardRef {
  std::string card_number;
  int64_t circulation_counter = 0;
  std::string municipality_number;
  std::string issuing_office;
};

struct SaleLine {
  int64_t position = 0;
  CardRef card;
  std::string package_number;
  int64_t price_cents = 0;
  std::optional<Date> valid_from, valid_to;
  bool written = true;
};

struct Payment {
  std::string method;  // cash, card
  int64_t amount_cents = 0;
};

struct TransactionInput {
  int64_t booking_number = 0;
  std::string at;  // YYYY-MM-DDTHH:MM:SS, local time at the terminal
  Date day;
  std::string vu_number;
  std::string operator_number;
  TxKind kind = TxKind::kAcceptance;
  // update
  std::optional<CardRef> update_card;
  std::string update_package;
  // purchase, credit
  std::vector<SaleLine> sales;
  std::optional<Payment> payment;
  // acceptance
  std::optional<CardRef> consumption_card;
  std::string service_number;
  std::string consumption_package;
};

// One entry of a batch: parsed, or rejected with the reason.
struct BatchEntry {
  int64_t booking_number = 0;
  std::optional<TransactionInput> input;
  std::string rejection;  // "field: reason"
};

enum class UploadResult { kAccepted, kDuplicate, kRejected };
std::string_view UploadResultName(UploadResult result);

// Why a well-formed transaction is refused: it claims what the catalogue does
// not allow (docs/terminal-protocol.md §3). Malformed input has no refusal.
enum class Refusal {
  kNone,
  kCreditWithoutSale,   // no recorded, uncredited sale of the package on the card's cycle
  kPriceMismatch,       // not the catalogue price, or no catalogue price on that day
  kDateOutOfWindow,     // before the terminal's registration, or outside the upload window
  kValidityOutOfRules,  // a validity the package's rules do not give
};
std::string_view RefusalName(Refusal refusal);

// A rejection: "field: reason", and the refusal when the catalogue forbids it.
struct Rejection {
  Refusal refusal = Refusal::kNone;
  std::string reason;
  bool empty() const { return reason.empty(); }
};

// The rules as plain functions ("" when fine, else "why", without the field).
// `registered_on` is the day the terminal was registered, `today` the day of
// the upload; the transaction's day lies from max(registered_on, today -
// window_days) to today + 1.
std::string CheckDateWindow(const Date& day, const Date& registered_on, const Date& today, int window_days);
// A purchase line pays the package's price, on a day the package is sold; a
// credit pays back no more than that price.
std::string CheckSalePrice(const PackageRule& package, TxKind kind, int64_t price_cents, const Date& day);
// A purchase line's validity, where the line carries one: from the sale day at
// the earliest and no later than the end of the package's sale period, for at
// most the package's validity_days (as NewHolding gives it).
std::string CheckSaleValidity(const PackageRule& package, const Date& sale_day, const std::optional<Date>& valid_from,
                              const std::optional<Date>& valid_to);

struct UploadOutcome {
  int64_t booking_number = 0;
  UploadResult result = UploadResult::kAccepted;
  std::string reason;                // rejected: why
  Refusal refusal = Refusal::kNone;  // rejected because the catalogue forbids it
  std::string conflict;              // accepted, but not covered: blocked, package_used_up, …
};

// A refused transaction kept aside for the operator (settlement segment: no
// card reference).
struct RefusedTransaction {
  std::string tid;
  int64_t booking_number = 0;
  std::string kind;
  std::string occurred_on;
  std::string refusal;
  std::string reason;
  std::optional<int64_t> amount_cents;
  int64_t received_at = 0;
};

struct TransactionOptions {
  // How many days before the upload a transaction may lie (docs/configuration.md).
  int upload_window_days = 62;
};

struct AcceptanceRequest {
  int64_t booking_number = 0;
  std::string at;
  std::string operator_number;
  CardRef card;
  std::string service_number;
  std::string package_number;  // empty: the base package, else the first that allows it
};

struct AcceptanceAnswer {
  Denial denial = Denial::kNone;
  UploadResult result = UploadResult::kAccepted;  // kRejected: denied, nothing recorded
  std::string package_number;
  std::optional<int> days_left;
  std::optional<int64_t> points_left;
  std::optional<Date> valid_to;
};

struct BlockedCard {
  std::string card_number;
  int64_t circulation_counter = 0;
};

struct SyncData {
  std::string municipality_number;
  std::vector<BlockedCard> blocked_cards;
};

struct TerminalTotals {
  std::string tid;
  int64_t transactions = 0;
  int64_t payments_cents = 0;  // purchases minus credits
  std::map<std::string, int64_t> by_kind;
};

struct AcceptanceConflict {
  int64_t id = 0;
  std::string card_number;
  int64_t at = 0;
  std::string kind;
  nlohmann::json detail;
};

class TransactionService {
 public:
  // `db` must see core, audit, card_link, card_usage, logistics and settlement.
  TransactionService(storage::Database& db, const Clock& clock, TransactionOptions options = {});

  Result<std::vector<UploadOutcome>> Upload(const TerminalSession& terminal, const std::vector<BatchEntry>& batch,
                                            const std::string& request_id);
  Result<AcceptanceAnswer> Accept(const TerminalSession& terminal, const AcceptanceRequest& request,
                                  const std::string& request_id);
  Result<SyncData> SyncDataFor(const TerminalSession& terminal);
  // The highest booking number recorded for the terminal (0: none), so a
  // terminal that lost its buffer continues above it instead of colliding.
  Result<int64_t> LastBookingNumber(const std::string& tid);

  // Staff views.
  Result<TerminalTotals> Totals(const accounts::Actor& actor, const std::string& tid);
  Result<std::vector<AcceptanceConflict>> Conflicts(const accounts::Actor& actor, int limit);
  // The transactions of the municipality's terminals refused by the catalogue's rules, newest first.
  Result<std::vector<RefusedTransaction>> Refused(const accounts::Actor& actor, int64_t municipality_id, int limit);

 private:
  storage::Database& db_;
  const Clock& clock_;
  TransactionOptions options_;
};

}  // namespace passwerk::terminals
